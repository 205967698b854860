/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The compiled seccomp filter cache: the key tells every profile apart (fields that differ, strings that
 * split differently, NULL against ""), a hit gives exactly the filter a compile gives, and an entry that is
 * corrupted, truncated or holds another profile's key is never used: the profile is compiled again and
 * the entry replaced. Profiles with flags or a listener are never cached.
 */
#define _GNU_SOURCE
#include "runtime/seccomp.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "tests/unit/tap.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[] = "/tmp/capsa-test-sccache-XXXXXX";

static char *key_of(const struct oci_seccomp *s, size_t *len)
{
	return capsa_seccomp_cache_key(s, len);
}

static bool keys_differ(const struct oci_seccomp *a, const struct oci_seccomp *b)
{
	size_t la, lb;
	_cleanup_free_ char *ka = key_of(a, &la), *kb = key_of(b, &lb);
	return la != lb || memcmp(ka, kb, la) != 0;
}

static size_t entries(char **only)
{
	_cleanup_free_ char *dir = xasprintf("%s/@seccomp-cache", root);
	DIR *d = opendir(dir);
	size_t n = 0;
	if (!d)
		return 0;
	for (struct dirent *de; (de = readdir(d));)
		if (de->d_name[0] != '.') {
			n++;
			if (only) {
				free(*only);
				*only = xasprintf("%s/%s", dir, de->d_name);
			}
		}
	closedir(d);
	return n;
}

/* The filter's bytes, to compare a hit with a compile. */
static char *bytes(const struct capsa_seccomp *f, size_t *len)
{
	return capsa_seccomp_encode(f, len);
}

static bool same_filter(const struct capsa_seccomp *a, const struct capsa_seccomp *b)
{
	size_t la, lb;
	_cleanup_free_ char *x = bytes(a, &la), *y = bytes(b, &lb);
	return la == lb && memcmp(x, y, la) == 0;
}

static struct capsa_seccomp *cached(const struct oci_seccomp *s)
{
	struct capsa_seccomp *f = NULL;
	struct capsa_error *err = NULL;
	if (capsa_seccomp_prepare_cached(s, root, &f, &err) < 0) {
		printf("# %s\n", err->msg);
		capsa_error_free(err);
		return NULL;
	}
	return f;
}

int main(void)
{
	if (!mkdtemp(root))
		return 1;
	struct oci_seccomp *s = NULL;
	struct capsa_error *err = NULL;
	if (capsa_seccomp_default_profile(&s, &err) < 0) {
		printf("Bail out! default profile: %s\n", err->msg);
		return 1;
	}

	/* Keys. */
	struct oci_seccomp_syscall two = {
		.names = (char *[]){"ab", "c"}, .n_names = 2, .action = "SCMP_ACT_ERRNO"};
	struct oci_seccomp_syscall split = {
		.names = (char *[]){"a", "bc"}, .n_names = 2, .action = "SCMP_ACT_ERRNO"};
	struct oci_seccomp a = {.default_action = "SCMP_ACT_ALLOW", .syscalls = &two, .n_syscalls = 1};
	struct oci_seccomp b = a;
	b.syscalls = &split;
	ok(keys_differ(&a, &b), "names split differently give different keys");
	ok(!keys_differ(&a, &a), "the same profile gives the same key");
	struct oci_seccomp c = a;
	c.default_errno_ret = (struct oci_opt_u64){.set = true, .value = 0};
	ok(keys_differ(&a, &c), "defaultErrnoRet 0 set differs from unset");
	struct oci_seccomp d = a;
	d.listener_metadata = "";
	ok(keys_differ(&a, &d), "an empty string differs from no string");
	struct oci_seccomp_arg arg1 = {.index = 0, .value = 1, .op = "SCMP_CMP_EQ"};
	struct oci_seccomp_arg arg2 = {.index = 0, .value = 2, .op = "SCMP_CMP_EQ"};
	struct oci_seccomp_syscall w1 = two, w2 = two;
	w1.args = &arg1;
	w1.n_args = 1;
	w2.args = &arg2;
	w2.n_args = 1;
	struct oci_seccomp e1 = a, e2 = a;
	e1.syscalls = &w1;
	e2.syscalls = &w2;
	ok(keys_differ(&e1, &e2), "an argument value changes the key");
	struct oci_seccomp_syscall act = two;
	act.action = "SCMP_ACT_KILL";
	struct oci_seccomp f1 = a;
	f1.syscalls = &act;
	ok(keys_differ(&a, &f1), "an action changes the key");

	/* Cache behaviour with the default profile. */
	struct capsa_seccomp *compiled = NULL;
	ok(capsa_seccomp_prepare(s, &compiled, &err) == 0, "the default profile compiles");
	struct capsa_seccomp *first = cached(s);
	_cleanup_free_ char *path = NULL;
	ok(first && same_filter(first, compiled), "a miss gives the compiled filter");
	ok(entries(&path) == 1, "and writes one entry");
	struct capsa_seccomp *hit = cached(s);
	ok(hit && same_filter(hit, compiled), "a hit gives the same filter, byte for byte");

	/* Corrupted: one byte of the filter flipped. */
	int fd = open(path, O_RDWR);
	off_t end = lseek(fd, 0, SEEK_END);
	char ch;
	bool flipped = pread(fd, &ch, 1, end - 3) == 1;
	ch ^= 0x40;
	flipped = flipped && pwrite(fd, &ch, 1, end - 3) == 1;
	close(fd);
	ok(flipped, "one byte of the entry's filter flipped");
	struct capsa_seccomp *again = cached(s);
	ok(again && same_filter(again, compiled), "a corrupted entry is not used: compiled again");
	struct capsa_seccomp *healed = cached(s);
	ok(healed && same_filter(healed, compiled), "and the entry was replaced by a good one");

	/* Truncated. */
	ok(truncate(path, 20) == 0, "the entry cut to 20 bytes");
	struct capsa_seccomp *t = cached(s);
	ok(t && same_filter(t, compiled), "a truncated entry is compiled again");

	/* Another profile's entry under this profile's name (as a hash collision would put it). */
	struct capsa_seccomp *fa = cached(&a);
	_cleanup_free_ char *apath = NULL;
	ok(fa && entries(NULL) == 2, "a second profile gets its own entry");
	/* Find a's entry: the one that is not path. */
	_cleanup_free_ char *dir = xasprintf("%s/@seccomp-cache", root);
	DIR *dd = opendir(dir);
	for (struct dirent *de; (de = readdir(dd));) {
		_cleanup_free_ char *full = xasprintf("%s/%s", dir, de->d_name);
		if (de->d_name[0] != '.' && strcmp(full, path) != 0)
			apath = xstrdup(full);
	}
	closedir(dd);
	ok(apath && rename(apath, path) == 0, "the second profile's entry moved under the first one's name");
	struct capsa_seccomp *notmixed = cached(s);
	ok(notmixed && same_filter(notmixed, compiled) && !same_filter(notmixed, fa),
	   "a key that is not the profile's is never used, whatever the file name");

	/* Never cached: flags and listeners. */
	struct oci_seccomp withflag = a;
	withflag.flags = (char *[]){"SECCOMP_FILTER_FLAG_LOG"};
	withflag.n_flags = 1;
	size_t before = entries(NULL);
	struct capsa_seccomp *ff = cached(&withflag);
	ok(ff && entries(NULL) == before, "a profile with flags is compiled, not cached");
	struct capsa_seccomp *nocache = NULL;
	ok(capsa_seccomp_prepare_cached(s, NULL, &nocache, &err) == 0 && same_filter(nocache, compiled),
	   "no root: no cache, the same filter");
	_cleanup_free_ char *missing = xasprintf("%s/nosuch", root);
	struct capsa_seccomp *nm = NULL;
	ok(capsa_seccomp_prepare_cached(s, missing, &nm, &err) == 0 && same_filter(nm, compiled),
	   "a root that does not exist yet: compiled, nothing made there");
	ok(access(missing, F_OK) < 0, "and the root was not created");

	/* Bad profiles fail as without the cache, and leave no entry. */
	struct oci_seccomp badact = a;
	struct oci_seccomp_syscall bs = two;
	bs.action = "SCMP_ACT_NOPE";
	badact.syscalls = &bs;
	before = entries(NULL);
	struct capsa_seccomp *bf = NULL;
	int br = capsa_seccomp_prepare_cached(&badact, root, &bf, &err);
	ok(br < 0 && err && strstr(err->msg, "SCMP_ACT_NOPE"), "a bad action is refused naming it (%s)",
	   err ? err->msg : "no error");
	capsa_error_clear(&err);
	ok(entries(NULL) == before, "and writes no entry");

	capsa_seccomp_free(compiled);
	capsa_seccomp_free(first);
	capsa_seccomp_free(hit);
	capsa_seccomp_free(again);
	capsa_seccomp_free(healed);
	capsa_seccomp_free(t);
	capsa_seccomp_free(fa);
	capsa_seccomp_free(notmixed);
	capsa_seccomp_free(ff);
	capsa_seccomp_free(nocache);
	capsa_seccomp_free(nm);
	capsa_seccomp_profile_free(s);
	_cleanup_free_ char *rm = xasprintf("rm -rf %s", root);
	(void)!system(rm);
	return tap_done();
}
