/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netns/tap: tap names built from ids and checked before capsa creates or deletes a device. */
#include "netns/tap.h"
#include "common/cleanup.h"
#include "tests/unit/tap.h"

#include <errno.h>
#include <string.h>

static void build_good(const char *id, const char *want)
{
	char buf[CAPSA_TAP_NAME_MAX + 1] = {0};
	struct capsa_error *err = NULL;
	int r = capsa_tap_name_build(id, buf, sizeof(buf), &err);
	ok(r == 0 && strcmp(buf, want) == 0, "id \"%s\" gives tap %s (got %s)", id, want, r == 0 ? buf : "-");
	capsa_error_free(err);
	struct capsa_error *e2 = NULL;
	ok(r == 0 && capsa_tap_name_validate(buf, &e2) == 0, "the built name %s validates", buf);
	capsa_error_free(e2);
}

static void build_bad(const char *id, const char *why)
{
	char buf[CAPSA_TAP_NAME_MAX + 1] = "untouched";
	struct capsa_error *err = NULL;
	int r = capsa_tap_name_build(id, buf, sizeof(buf), &err);
	_cleanup_free_ char *named = xasprintf("invalid tap id \"%s\"", id);
	ok(r == -1 && err && err->errnum == EINVAL && strstr(err->msg, named) && strstr(err->msg, why) &&
		   strcmp(buf, "untouched") == 0,
	   "id \"%s\" refused: %s", id, why);
	if (err && !strstr(err->msg, why))
		printf("#   got: %s\n", err->msg);
	capsa_error_free(err);
}

static void valid(const char *name)
{
	struct capsa_error *err = NULL;
	ok(capsa_tap_name_validate(name, &err) == 0, "tap name %s accepted", name);
	capsa_error_free(err);
}

static void invalid(const char *name, const char *why)
{
	struct capsa_error *err = NULL;
	int r = capsa_tap_name_validate(name, &err);
	_cleanup_free_ char *named = xasprintf("invalid tap name \"%s\"", name);
	ok(r == -1 && err && strstr(err->msg, named) && strstr(err->msg, why), "tap name \"%s\" refused: %s",
	   name, why);
	if (err && !strstr(err->msg, why))
		printf("#   got: %s\n", err->msg);
	capsa_error_free(err);
}

int main(void)
{
	build_good("a", "capsa-ta");
	build_good("0123abcd", "capsa-t0123abcd");
	build_good("0123456789abcdef0123456789abcdef", "capsa-t01234567");
	build_good("x.y-z_1", "capsa-tx.y-z_1");
	build_bad("", "empty");
	build_bad("a/b", "only [a-zA-Z0-9_.-]");
	build_bad("a b", "only [a-zA-Z0-9_.-]");
	build_bad("a:b", "only [a-zA-Z0-9_.-]");
	build_bad("é", "only [a-zA-Z0-9_.-]");

	char small[8];
	struct capsa_error *err = NULL;
	ok(capsa_tap_name_build("abc", small, sizeof(small), &err) == -1 && err && err->errnum == ENOBUFS,
	   "a buffer shorter than a whole name is refused");
	capsa_error_free(err);

	valid("capsa-t1");
	valid("capsa-test-1234");
	invalid("capsa-test-12345", "7 to 15 characters");
	invalid("capsa-", "7 to 15 characters");
	invalid("", "7 to 15 characters");
	invalid("eth0000", "must start with \"capsa-\"");
	invalid("Capsa-t1", "must start with \"capsa-\"");
	invalid("capsa-a/b", "only [a-zA-Z0-9_.-]");
	invalid("capsa-a:b", "only [a-zA-Z0-9_.-]");
	invalid("capsa-a b", "only [a-zA-Z0-9_.-]");
	invalid("capsa-a\nb", "only [a-zA-Z0-9_.-]");
	return tap_done();
}
