/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroups: mountinfo → mode and hierarchies, /proc/self/cgroup, cgroupsPath resolution. */
#include "cgroups/internal.h"
#include "common/util.h"
#include "tests/unit/tap.h"

#include <stdlib.h>

static const char hybrid[] =
	"23 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n"
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
	"50 23 0:32 /docker /var/lib/x rw - cgroup cgroup rw,memory\n";

static const char unified[] =
	"23 1 253:0 / / rw - ext4 /dev/vda rw\n"
	"30 23 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";

static const char legacy[] =
	"31 23 0:28 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
	"33 31 0:30 /kubepods/x /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset,clone_children\n"
	"34 31 0:31 / /sys/fs/cgroup/net\\040cls rw - cgroup cgroup rw,net_cls,net_prio\n"
	"35 31 0:32 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n";

static void mountinfo(void)
{
	struct cg_layout l = {0};
	struct capsa_error *e = NULL;

	ok(cgroup_parse_mountinfo(hybrid, "/sys/fs/cgroup", &l, &e) == 0, "hybrid sample parses");
	is_int(l.mode, CAPSA_CGROUP_HYBRID, "v1 controllers plus cgroup2 below the base: hybrid");
	is_int(l.n, 5, "five hierarchies (the bind elsewhere is ignored)");
	is_str(l.h[3].controllers, "name=systemd", "named hierarchy keeps its name, not xattr");
	ok(l.h[4].v2 && strcmp(l.h[4].mountpoint, "/sys/fs/cgroup/unified") == 0, "the v2 mount is found");
	ok(cgroup_hier_has(&l.h[2], "memory") && !cgroup_hier_has(&l.h[2], "mem"),
	   "controller lookup is exact");
	cgroup_layout_clear(&l);

	ok(cgroup_parse_mountinfo(unified, "/sys/fs/cgroup", &l, &e) == 0, "unified sample parses");
	is_int(l.mode, CAPSA_CGROUP_UNIFIED, "cgroup2 at the base: unified");
	ok(l.n == 1 && l.h[0].v2, "one v2 hierarchy");
	cgroup_layout_clear(&l);

	/* A v1 hierarchy mounted below a v2 root (by hand, or by an old tool) does not make it hybrid. */
	const char *mixed = "30 23 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
			    "31 30 0:40 / /sys/fs/cgroup/net_cls rw - cgroup cgroup rw,net_cls\n";
	ok(cgroup_parse_mountinfo(mixed, "/sys/fs/cgroup", &l, &e) == 0 && l.mode == CAPSA_CGROUP_UNIFIED &&
		   l.n == 1 && l.h[0].v2,
	   "cgroup2 at the base wins over v1 mounts below it");
	cgroup_layout_clear(&l);

	ok(cgroup_parse_mountinfo(legacy, "/sys/fs/cgroup", &l, &e) == 0, "legacy sample parses");
	is_int(l.mode, CAPSA_CGROUP_LEGACY, "no cgroup2: legacy");
	is_int(l.n, 3, "a later mount on the same point replaces the earlier one");
	is_str(l.h[0].controllers, "cpu,cpuacct", "co-mounted controllers");
	is_str(l.h[1].root, "/", "the remounted cpuset has root /");
	is_str(l.h[2].mountpoint, "/sys/fs/cgroup/net cls", "octal escapes in mount points are decoded");
	is_str(l.h[2].controllers, "net_cls,net_prio", "net_cls,net_prio");
	ok(cgroup_hier_has(&l.h[0], "cpuacct"), "cpu,cpuacct has cpuacct");
	cgroup_layout_clear(&l);

	ok(cgroup_parse_mountinfo("23 1 253:0 / / rw - ext4 /dev/vda rw\n", "/sys/fs/cgroup", &l, &e) < 0 &&
		   e,
	   "no cgroup mount is an error: %s", e ? e->msg : "");
	capsa_error_clear(&e);
	ok(cgroup_parse_mountinfo("garbage\n\n1 2 3\n- - -\n", "/sys/fs/cgroup", &l, &e) < 0,
	   "garbage is an error");
	capsa_error_clear(&e);
	ok(cgroup_parse_mountinfo("", "/sys/fs/cgroup", &l, &e) < 0, "empty text is an error");
	capsa_error_clear(&e);
}

static void proc_cgroup(void)
{
	const char *text =
		"9:name=systemd:/user.slice\n4:memory:/process_api/b5\n2:cpuacct,cpu:/a\n0::/init.scope\n";
	char *out = NULL;
	struct capsa_error *e = NULL;
	ok(cgroup_parse_proc_cgroup(text, true, "", &out, &e) == 0, "v2 entry found");
	is_str(out, "/init.scope", "v2 path");
	free(out);
	ok(cgroup_parse_proc_cgroup(text, false, "memory", &out, &e) == 0, "memory entry found");
	is_str(out, "/process_api/b5", "memory path");
	free(out);
	ok(cgroup_parse_proc_cgroup(text, false, "cpu,cpuacct", &out, &e) == 0,
	   "co-mounted entry in another order");
	is_str(out, "/a", "cpu,cpuacct path");
	free(out);
	ok(cgroup_parse_proc_cgroup(text, false, "cpu", &out, &e) < 0 && e,
	   "'cpu' alone does not match cpu,cpuacct");
	capsa_error_clear(&e);
	ok(cgroup_parse_proc_cgroup("4:memory:/x\n", true, "", &out, &e) < 0 && e, "no v2 entry on legacy");
	capsa_error_clear(&e);
	ok(cgroup_parse_proc_cgroup("junk\n::\n", true, "", &out, &e) < 0, "junk is an error");
	capsa_error_clear(&e);
}

static void resolve(void)
{
	struct {
		const char *path, *id, *own, *want;
	} good[] = {
		{NULL, "c1", "/", "/capsa/c1"},
		{"", "c1", "/x", "/capsa/c1"},
		{"/a/b", "c1", "/x", "/a/b"},
		{"/a//b/./c/", "c1", NULL, "/a/b/c"},
		{"rel/c", "c1", "/user.slice/s", "/user.slice/s/rel/c"},
		{"rel", "c1", "/", "/rel"},
		{"rel", "c1", "/own/", "/own/rel"},
		{"a:b", "c1", "/", "/a:b"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		char *out = NULL;
		struct capsa_error *e = NULL;
		int r = cgroup_resolve_path(good[i].path, good[i].id, good[i].own, &out, &e);
		ok(r == 0, "resolve '%s' own '%s'", good[i].path ? good[i].path : "(null)", good[i].own);
		is_str(out, good[i].want, "  -> %s", good[i].want);
		free(out);
		capsa_error_free(e);
	}
	struct {
		const char *path, *id, *why;
	} bad[] = {
		{"system.slice:capsa:c1", "c1", "systemd cgroup driver is not supported"},
		{"/a/../b", "c1", "'..' is not allowed"},
		{"a/..", "c1", "'..' is not allowed"},
		{"/", "c1", "root cgroup"},
		{"/./", "c1", "root cgroup"},
		{NULL, "a/b", "invalid container id"},
		{NULL, "..", "invalid container id"},
		{"", "", "invalid container id"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *out = NULL;
		struct capsa_error *e = NULL;
		int r = cgroup_resolve_path(bad[i].path, bad[i].id, "/", &out, &e);
		ok(r < 0 && out == NULL && e && strstr(e->msg, bad[i].why), "reject '%s' id '%s': %s",
		   bad[i].path ? bad[i].path : "(null)", bad[i].id, e ? e->msg : "(no error)");
		capsa_error_free(e);
	}
}

/* cpu mounted with the root /pod (as inside a container), pids with "/". */
static const char *rooted = "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
			    "32 31 0:29 /pod /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
			    "33 31 0:30 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n";

/* cgroups/prime.c: the directories made ahead. */
static void prime_dirs(void)
{
	struct cg_layout l = {0};
	struct capsa_error *e = NULL;
	char **d;

	ok(cgroup_parse_mountinfo(hybrid, "/sys/fs/cgroup", &l, &e) == 0, "hybrid sample parses");
	d = cgroup_prime_dirs(&l, "/capsa/c1");
	ok(d && capsa_strv_len(d) == l.n, "one directory per hierarchy (%zu)", d ? capsa_strv_len(d) : 0);
	bool all = d != NULL;
	for (size_t i = 0; d && d[i]; i++)
		all = all && capsa_str_has_prefix(d[i], l.h[i].mountpoint) &&
		      strcmp(d[i] + strlen(l.h[i].mountpoint), "/capsa/c1") == 0;
	ok(all, "each is the mount point followed by the path");
	capsa_strv_free(d);
	static const char *const bad[] = {"capsa/c1",	"/capsa/../etc", "/capsa//c1",
					  "/capsa/c1/", "/a\nb",	 ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(cgroup_prime_dirs(&l, bad[i]) == NULL,
		   "refused: bad path %zu (relative, .., //, trailing /, newline, empty)", i);
	ok(cgroup_prime_dirs(&l, NULL) == NULL && cgroup_prime_dirs(NULL, "/x") == NULL, "NULLs");
	cgroup_layout_clear(&l);

	/* A mount whose root does not hold the path gets nothing; one that does, the part below its root. */
	ok(cgroup_parse_mountinfo(rooted, "/sys/fs/cgroup", &l, &e) == 0, "rooted sample parses");
	d = cgroup_prime_dirs(&l, "/capsa/c1");
	ok(d && capsa_strv_len(d) == 1, "cpu's root /pod does not hold /capsa/c1: only pids");
	is_str(d ? d[0] : NULL, "/sys/fs/cgroup/pids/capsa/c1", "pids: below its mount point");
	capsa_strv_free(d);
	d = cgroup_prime_dirs(&l, "/pod/c2");
	ok(d && capsa_strv_len(d) == 2, "/pod/c2: both");
	is_str(d ? d[0] : NULL, "/sys/fs/cgroup/cpu/c2", "cpu: the part below its root");
	capsa_strv_free(d);
	d = cgroup_prime_dirs(&l, "/pod");
	ok(d && capsa_strv_len(d) == 1, "the mount's root itself is not made (it exists): only pids");
	capsa_strv_free(d);
	cgroup_layout_clear(&l);

	ok(cgroup_parse_mountinfo(unified, "/sys/fs/cgroup", &l, &e) == 0, "unified sample parses");
	ok(cgroup_prime_dirs(&l, "/capsa/c1") == NULL, "pure v2: no directory made ahead");
	cgroup_layout_clear(&l);
}

int main(void)
{
	mountinfo();
	proc_cgroup();
	resolve();
	prime_dirs();
	return tap_done();
}
