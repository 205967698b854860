/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host's cgroup layout (unified, hybrid, legacy) and cgroupsPath resolution. */
#define _GNU_SOURCE
#include "cgroups/internal.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

static const char *const v1_controllers[] = {
	"cpu",	    "cpuacct", "cpuset",     "memory",	"devices", "freezer", "net_cls",
	"net_prio", "blkio",   "perf_event", "hugetlb", "pids",	   "rdma",    "misc",
};

static bool is_v1_controller(const char *opt)
{
	if (capsa_str_has_prefix(opt, "name="))
		return opt[5] != '\0';
	for (size_t i = 0; i < ARRAY_SIZE(v1_controllers); i++)
		if (strcmp(opt, v1_controllers[i]) == 0)
			return true;
	return false;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
		    r[3] <= '7') {
			*w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static void hier_clear(struct cg_hier *h)
{
	free(h->mountpoint);
	free(h->root);
	free(h->controllers);
}

void cgroup_layout_clear(struct cg_layout *l)
{
	for (size_t i = 0; i < l->n; i++)
		hier_clear(&l->h[i]);
	free(l->h);
	l->h = NULL;
	l->n = 0;
}

/* Keeps only controller names from the super options, in the kernel's order. */
static char *v1_controllers_of(const char *superopts)
{
	_cleanup_free_ char *copy = xstrdup(superopts);
	_cleanup_free_ char *out = xstrdup("");
	char *save = NULL;
	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (!is_v1_controller(o))
			continue;
		char *n = xasprintf("%s%s%s", out, out[0] ? "," : "", o);
		free(out);
		out = n;
	}
	return TAKE_PTR(out);
}

static bool under_base(const char *mp, const char *base)
{
	size_t bl = strlen(base);
	if (strncmp(mp, base, bl) != 0)
		return false;
	if (mp[bl] == '\0')
		return true;
	/* Only one level below: /sys/fs/cgroup/memory, not a bind deeper down. */
	return mp[bl] == '/' && mp[bl + 1] != '\0' && strchr(mp + bl + 1, '/') == NULL;
}

int cgroup_parse_mountinfo(const char *text, const char *base, struct cg_layout *out,
			   struct capsa_error **err)
{
	struct cg_layout l = {0};
	_cleanup_free_ char *copy = xstrdup(text);
	char *save = NULL;
	bool v2_at_base = false, have_v1 = false, have_v2 = false;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[6];
		char *lsave = NULL, *p = line;
		int nf = 0;
		for (; nf < 5; nf++) {
			f[nf] = strtok_r(p, " ", &lsave);
			p = NULL;
			if (f[nf] == NULL)
				break;
		}
		if (nf < 5)
			continue;
		/* Optional fields end with a lone "-", then fstype, source, super options. */
		char *tok, *fstype = NULL, *superopts = NULL;
		while ((tok = strtok_r(NULL, " ", &lsave)) && strcmp(tok, "-") != 0)
			;
		if (tok == NULL)
			continue;
		fstype = strtok_r(NULL, " ", &lsave);
		if (fstype == NULL || strtok_r(NULL, " ", &lsave) == NULL)
			continue;
		superopts = strtok_r(NULL, " ", &lsave);
		if (superopts == NULL)
			continue;
		bool v2 = strcmp(fstype, "cgroup2") == 0;
		if (!v2 && strcmp(fstype, "cgroup") != 0)
			continue;
		char *mp = f[4], *root = f[3];
		unescape_octal(mp);
		unescape_octal(root);
		if (!under_base(mp, base))
			continue;
		struct cg_hier h = {
			.mountpoint = xstrdup(mp),
			.root = xstrdup(root),
			.controllers = v2 ? xstrdup("") : v1_controllers_of(superopts),
			.v2 = v2,
		};
		if (!v2 && h.controllers[0] == '\0') {
			hier_clear(&h);
			continue;
		}
		/* A later mount on the same point hides the earlier one. */
		size_t i;
		for (i = 0; i < l.n; i++)
			if (strcmp(l.h[i].mountpoint, mp) == 0)
				break;
		if (i < l.n) {
			hier_clear(&l.h[i]);
		} else {
			l.h = xreallocarray(l.h, l.n + 1, sizeof(*l.h));
			i = l.n++;
		}
		l.h[i] = h;
	}

	for (size_t i = 0; i < l.n; i++) {
		if (l.h[i].v2) {
			have_v2 = true;
			if (strcmp(l.h[i].mountpoint, base) == 0)
				v2_at_base = true;
		} else {
			have_v1 = true;
		}
	}
	if (v2_at_base) {
		/* Pure v2: anything else mounted below is not ours to use. */
		for (size_t i = 0; i < l.n; i++) {
			if (strcmp(l.h[i].mountpoint, base) == 0) {
				struct cg_hier keep = l.h[i];
				l.h[i] = l.h[0];
				l.h[0] = keep;
				break;
			}
		}
		for (size_t i = 1; i < l.n; i++)
			hier_clear(&l.h[i]);
		l.n = 1;
		l.mode = CAPSA_CGROUP_UNIFIED;
	} else if (have_v1) {
		l.mode = have_v2 ? CAPSA_CGROUP_HYBRID : CAPSA_CGROUP_LEGACY;
	} else {
		cgroup_layout_clear(&l);
		return capsa_error_set(err, ENOENT, "cgroup: no cgroup hierarchy is mounted at %s", base);
	}
	*out = l;
	return 0;
}

static struct cg_layout host_layout;
static bool host_layout_done;

const struct cg_layout *cgroup_host_layout(struct capsa_error **err)
{
	if (host_layout_done)
		return &host_layout;
	_cleanup_free_ char *text = NULL;
	if (capsa_read_file_at(AT_FDCWD, "/proc/self/mountinfo", 0, &text, NULL, err) < 0)
		return NULL;
	if (cgroup_parse_mountinfo(text, CGROUP_ROOT, &host_layout, err) < 0)
		return NULL;
	host_layout_done = true;
	return &host_layout;
}

enum capsa_cgroup_mode capsa_cgroup_mode(void)
{
	const struct cg_layout *l = cgroup_host_layout(NULL);
	return l ? l->mode : CAPSA_CGROUP_UNIFIED;
}

bool cgroup_hier_has(const struct cg_hier *h, const char *c)
{
	if (h->v2)
		return false;
	size_t cl = strlen(c);
	for (const char *p = h->controllers; *p;) {
		const char *e = strchrnul(p, ',');
		if ((size_t)(e - p) == cl && strncmp(p, c, cl) == 0)
			return true;
		p = *e ? e + 1 : e;
	}
	return false;
}

/* Same controllers regardless of order: "cpuacct,cpu" matches "cpu,cpuacct". */
static bool same_controller_set(const char *a, const char *b)
{
	struct cg_hier ha = {.controllers = (char *)a};
	size_t na = 0, nb = 0;
	for (const char *p = a; *p; p++)
		na += *p == ',';
	for (const char *p = b; *p; p++)
		nb += *p == ',';
	if (na != nb || (*a == '\0') != (*b == '\0'))
		return false;
	_cleanup_free_ char *copy = xstrdup(b);
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (!cgroup_hier_has(&ha, t))
			return false;
	return true;
}

int cgroup_parse_proc_cgroup(const char *text, bool v2, const char *controllers, char **out,
			     struct capsa_error **err)
{
	_cleanup_free_ char *copy = xstrdup(text);
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2 == NULL || c2[1] != '/')
			continue;
		*c2 = '\0';
		const char *ctl = c1 + 1;
		bool match = v2 ? *ctl == '\0' && c1 == line + 1 && line[0] == '0'
				: *ctl != '\0' && same_controller_set(ctl, controllers);
		if (match) {
			*out = xstrdup(c2 + 1);
			return 0;
		}
	}
	return capsa_error_set(err, ENOENT, "cgroup: %s not found in /proc/self/cgroup",
			       v2 ? "the cgroup2 entry" : controllers);
}

static bool valid_id(const char *id)
{
	return id && *id && strchr(id, '/') == NULL && strcmp(id, ".") != 0 && strcmp(id, "..") != 0;
}

int cgroup_resolve_path(const char *cgroups_path, const char *id, const char *own, char **out,
			struct capsa_error **err)
{
	if (cgroups_path == NULL || *cgroups_path == '\0') {
		if (!valid_id(id))
			return capsa_error_set(err, 0, "cgroup: invalid container id '%s' for a cgroup name",
					       id ? id : "");
		*out = xasprintf("/capsa/%s", id);
		return 0;
	}
	if (cgroups_path[0] != '/') {
		const char *c1 = strchr(cgroups_path, ':');
		if (c1 && strchr(c1 + 1, ':'))
			return capsa_error_set(
				err, 0,
				"cgroupsPath '%s': systemd cgroup driver is not supported; use a path",
				cgroups_path);
	}
	_cleanup_free_ char *res = xstrdup(cgroups_path[0] != '/' && own ? own : "");
	_cleanup_free_ char *copy = xstrdup(cgroups_path);
	char *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0)
			return capsa_error_set(err, 0, "cgroupsPath '%s': '..' is not allowed", cgroups_path);
		char *n = xasprintf("%s/%s", res, c);
		free(res);
		res = n;
	}
	/* `own` may end in a slash ("/" + "/b" gives "//b"). */
	char *w = res;
	for (char *r = res; *r; r++)
		if (!(r[0] == '/' && r[1] == '/'))
			*w++ = *r;
	*w = '\0';
	if (res[0] == '\0' || strcmp(res, "/") == 0)
		return capsa_error_set(err, 0, "cgroupsPath '%s': refusing to use the root cgroup",
				       cgroups_path);
	*out = TAKE_PTR(res);
	return 0;
}
