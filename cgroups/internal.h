/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared between the files of cgroups/ only. The pure helpers (parsers,
 * conversions, the device rule decision and BPF builder) are declared here so
 * the unit tests can reach them; nothing outside cgroups/ and its tests may.
 */
#ifndef CAPSA_CGROUPS_INTERNAL_H
#define CAPSA_CGROUPS_INTERNAL_H

#include "cgroups/cgroups.h"
#include "common/cleanup.h"

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CGROUP_ROOT "/sys/fs/cgroup"

/* One mounted hierarchy of the host, as /proc/self/mountinfo shows it. */
struct cg_hier {
	char *mountpoint;  /* "/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified" */
	char *root;	   /* the mount's root inside the hierarchy, normally "/" */
	char *controllers; /* v1: "cpu,cpuacct" or "name=systemd"; v2: "" */
	bool v2;
};

struct cg_layout {
	enum capsa_cgroup_mode mode;
	struct cg_hier *h;
	size_t n;
};

/* Parses mountinfo text: the cgroup/cgroup2 mounts at or directly below base ("/sys/fs/cgroup"). */
int cgroup_parse_mountinfo(const char *text, const char *base, struct cg_layout *out,
			   struct capsa_error **err) CAPSA_WUR;
void cgroup_layout_clear(struct cg_layout *l);
/* The host's layout, parsed once. */
const struct cg_layout *cgroup_host_layout(struct capsa_error **err);
/* The part of `path` below the mount's root; NULL when the mount cannot reach it. */
const char *cgroup_below_root(const char *path, const char *root);
/* prime.c: the directories of an absolute cgroupsPath in every hierarchy that holds it, for the prime to make
 * ahead (v1 and hybrid hosts; NULL on pure v2 or for a path that is not plain: relative, "..", "//"). */
char **cgroup_prime_dirs(const struct cg_layout *l, const char *cgroups_path);
/* True when hier h carries controller c ("memory", "name=systemd"). */
bool cgroup_hier_has(const struct cg_hier *h, const char *c);

/*
 * Finds the caller's cgroup in /proc/self/cgroup text: for v2 the "0::" line,
 * for v1 the line whose controller list equals `controllers`. Caller frees.
 */
int cgroup_parse_proc_cgroup(const char *text, bool v2, const char *controllers, char **out,
			     struct capsa_error **err) CAPSA_WUR;
/*
 * Resolves a runtime-spec cgroupsPath: NULL/"" → "/capsa/<id>", absolute kept,
 * relative joined to `own` (the caller's cgroup). Rejects "..", empty components,
 * and the systemd "slice:prefix:name" form. Caller frees *out.
 */
int cgroup_resolve_path(const char *cgroups_path, const char *id, const char *own, char **out,
			struct capsa_error **err) CAPSA_WUR;

/* One hierarchy's directory of a container's cgroup. */
struct cg_dir {
	struct cg_hier hier; /* borrowed from the layout */
	char *dir;	     /* absolute path on the host */
	int fd;		     /* O_DIRECTORY, -1 until created/opened */
	int join_fd;	     /* tasks (v1) or cgroup.procs (v2) for capsa_cgroup_enter_self, else -1 */
};

struct capsa_cgroup {
	char *path; /* resolved, "/capsa/<id>" */
	enum capsa_cgroup_mode mode;
	struct cg_dir *d;
	size_t n;
	int v2; /* index into d of the v2 directory, -1 when none */
};

/* The directory of the v1 hierarchy carrying controller c, NULL when not mounted. */
struct cg_dir *cgroup_v1_dir(struct capsa_cgroup *cg, const char *c);
/* The v2 directory (unified: everything; hybrid: cgroup.freeze/kill and any controllers v2 holds). */
struct cg_dir *cgroup_v2_dir(struct capsa_cgroup *cg);
/* True when the v2 directory offers controller c (listed in its cgroup.controllers). */
bool cgroup_v2_has_controller(struct cg_dir *d, const char *c);

/* Writes a cgroup knob; the error reads "cgroup: write VALUE to FILE: <reason>". */
int cgroup_write(int dirfd, const char *file, const char *value, struct capsa_error **err) CAPSA_WUR;
int cgroup_writef(int dirfd, const char *file, struct capsa_error **err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5))) CAPSA_WUR;
int cgroup_read(int dirfd, const char *file, char **out, struct capsa_error **err) CAPSA_WUR;
bool cgroup_file_exists(int dirfd, const char *file);

/* Backends of capsa_cgroup_apply. */
int cgroup_v1_apply(struct capsa_cgroup *cg, const struct oci_resources *res,
		    struct capsa_error **err) CAPSA_WUR;
int cgroup_v2_apply(struct capsa_cgroup *cg, const struct oci_resources *res,
		    struct capsa_error **err) CAPSA_WUR;
int cgroup_v1_stats(struct capsa_cgroup *cg, struct capsa_cgroup_stats *st,
		    struct capsa_error **err) CAPSA_WUR;
int cgroup_v2_stats(struct cg_dir *d, struct capsa_cgroup_stats *st, struct capsa_error **err) CAPSA_WUR;

/* Stats file parsers (pure). Missing keys leave *out untouched and return -1. */
int cgroup_parse_keyed(const char *text, const char *key, uint64_t *out);
/* A single value file: a number or "max" (→ CAPSA_CGROUP_UNLIMITED). */
int cgroup_parse_value(const char *text, uint64_t *out);
/* io.stat: sums rbytes/wbytes/rios/wios over devices. */
int cgroup_parse_io_stat(const char *text, uint64_t *rbytes, uint64_t *wbytes, uint64_t *rios,
			 uint64_t *wios);
/* blkio.throttle.io_service_bytes / io_serviced: sums the Read and Write lines. */
int cgroup_parse_blkio(const char *text, uint64_t *read, uint64_t *write);

/* Device rules (pure). Access bits as the kernel's BPF_DEVCG_ACC_*. */
enum {
	CG_DEV_MKNOD = 1,
	CG_DEV_READ = 2,
	CG_DEV_WRITE = 4,
};
/* Parses "rwm" subsets; NULL means "rwm". */
int cgroup_device_access(const char *s, unsigned *out);
/* 1 when the rules allow `access` on (type, major, minor), 0 when not: the last matching rule wins per bit.
 */
int cgroup_device_decide(const struct oci_device_rule *rules, size_t n, char type, uint32_t major,
			 uint32_t minor, unsigned access);
/* Builds the BPF_PROG_TYPE_CGROUP_DEVICE program for the rules; caller frees *insns. */
int cgroup_device_build(const struct oci_device_rule *rules, size_t n, struct bpf_insn **insns,
			size_t *n_insns, struct capsa_error **err) CAPSA_WUR;
/* Runs a program built by cgroup_device_build over one request (a small interpreter, for tests). */
int cgroup_device_run(const struct bpf_insn *insns, size_t n, char type, uint32_t major, uint32_t minor,
		      unsigned access, struct capsa_error **err);
/* Loads the program and attaches it to dirfd, then detaches the programs attached before. */
int cgroup_device_attach(int dirfd, const struct oci_device_rule *rules, size_t n,
			 struct capsa_error **err) CAPSA_WUR;
/* The v1 devices.allow/deny line for a rule, with type (c, b or a) chosen by the caller. */
char *cgroup_device_v1_line(const struct oci_device_rule *r, char type);
/* Checks a rule: type a/b/c, major/minor unset, -1 or 0..2^32-1, access a subset of "rwm". */
int cgroup_device_check(const struct oci_device_rule *r, struct capsa_error **err) CAPSA_WUR;

#endif
