/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine/filter.c: `ps --filter` as docker's: one key's values are alternatives, keys and labels all hold. */
#define _GNU_SOURCE
#include "common/cleanup.h"
#include "engine/engine.h"
#include "tests/unit/tap.h"

#include <errno.h>
#include <string.h>

static struct capsa_kv web_labels[] = {{"team", "a"}, {"tier", "front"}};

static const struct capsa_ctr web = {
	.id = "aaaa1111bbbb2222cccc3333dddd4444eeee5555ffff6666aaaa1111bbbb2222",
	.name = "capsa-web-1",
	.status = CAPSA_CTR_RUNNING,
	.labels = web_labels,
	.n_labels = 2,
};
static const struct capsa_ctr job = {
	.id = "bbbb1111bbbb2222cccc3333dddd4444eeee5555ffff6666aaaa1111bbbb2222",
	.name = "nightly-job",
	.status = CAPSA_CTR_EXITED,
	.exit_code = 3,
};
static const struct capsa_ctr fresh = {
	.id = "cccc1111bbbb2222cccc3333dddd4444eeee5555ffff6666aaaa1111bbbb2222",
	.name = "capsa-vm",
	.status = CAPSA_CTR_CREATED,
	.vm = "uml",
};

/* The filters in specs (NULL-ended) applied to web, job and fresh: "wjf" with '.' for no match. */
static void expect(const char *const *specs, const char *want)
{
	struct capsa_ctr_filter *f = NULL;
	struct capsa_error *err = NULL;
	bool good = true;
	for (size_t i = 0; specs[i]; i++)
		good = good && capsa_ctr_filter_add(&f, specs[i], &err) == 0;
	char got[4] = {capsa_ctr_filter_match(f, &web) ? 'w' : '.',
		       capsa_ctr_filter_match(f, &job) ? 'j' : '.',
		       capsa_ctr_filter_match(f, &fresh) ? 'f' : '.', '\0'};
	ok(good && strcmp(got, want) == 0, "%s%s%s -> %s (got %s)", specs[0] ? specs[0] : "(none)",
	   specs[0] && specs[1] ? " " : "", specs[0] && specs[1] ? specs[1] : "", want, got);
	capsa_error_free(err);
	capsa_ctr_filter_free(f);
}

static void matching(void)
{
	expect((const char *[]){NULL}, "wjf");
	expect((const char *[]){"status=running", NULL}, "w..");
	expect((const char *[]){"status=running", "status=created", NULL}, "w.f");
	expect((const char *[]){"status=running", "status=created", "name=vm", NULL}, "..f");
	expect((const char *[]){"name=capsa", NULL}, "w.f");
	expect((const char *[]){"name=^capsa-web-1$", NULL}, "w..");
	expect((const char *[]){"name=^web", NULL}, "...");
	expect((const char *[]){"name=job$", "name=web", NULL}, "wj.");
	expect((const char *[]){"name=capsa-(web|vm)", "type=vm", NULL}, "..f");
	expect((const char *[]){"id=bbbb", NULL}, ".j.");
	expect((const char *[]){"id=1111", NULL}, "...");
	expect((const char *[]){"type=container", NULL}, "wj.");
	expect((const char *[]){"exited=3", NULL}, ".j.");
	expect((const char *[]){"exited=0", NULL}, "...");
	expect((const char *[]){"label=team", NULL}, "w..");
	expect((const char *[]){"label=team=a", "label=tier=front", NULL}, "w..");
	/* labels all hold: a second one the container lacks rules it out */
	expect((const char *[]){"label=team=a", "label=tier=back", NULL}, "...");
	expect((const char *[]){"label=team=", NULL}, "...");
}

static void refusals(void)
{
	static const struct {
		const char *spec, *says;
	} bad[] = {
		{"status", "not KEY=VALUE"},
		{"bogus=1", "invalid filter 'bogus'"},
		{"status=up", "status=up': not one of created"},
		{"name=(", "invalid filter 'name=('"},
		{"type=vms", "not vm or container"},
		{"exited=256", "not an exit code"},
		{"exited=-1", "not an exit code"},
		{"exited=x", "not an exit code"},
		{"id=", "empty value"},
		{"label=", "empty value"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct capsa_ctr_filter *f = NULL;
		struct capsa_error *err = NULL;
		int r = capsa_ctr_filter_add(&f, bad[i].spec, &err);
		ok(r < 0 && f == NULL && err && err->errnum == EINVAL && strstr(err->msg, bad[i].says),
		   "%s refused: %s", bad[i].spec, err ? err->msg : "");
		capsa_error_free(err);
		capsa_ctr_filter_free(f);
	}
	ok(capsa_ctr_filter_wants_all(NULL) == false, "no filter: running only");
	struct capsa_ctr_filter *f = NULL;
	struct capsa_error *err = NULL;
	ok(capsa_ctr_filter_add(&f, "name=x", &err) == 0 && !capsa_ctr_filter_wants_all(f),
	   "name= keeps running only");
	ok(capsa_ctr_filter_add(&f, "exited=0", &err) == 0 && capsa_ctr_filter_wants_all(f),
	   "exited= shows stopped ones too");
	/* a refused add leaves what was there */
	ok(capsa_ctr_filter_add(&f, "status=up", &err) < 0 && capsa_ctr_filter_wants_all(f),
	   "a refusal keeps the filter as it was");
	capsa_error_free(err);
	capsa_ctr_filter_free(f);
}

int main(void)
{
	matching();
	refusals();
	return tap_done();
}
