/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Namespace flags, joining by path, user namespace maps and time offsets. */
#define _GNU_SOURCE
#include "runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

int ns_clone_flag(enum oci_ns_type t)
{
	switch (t) {
	case OCI_NS_PID:
		return CLONE_NEWPID;
	case OCI_NS_NETWORK:
		return CLONE_NEWNET;
	case OCI_NS_MOUNT:
		return CLONE_NEWNS;
	case OCI_NS_IPC:
		return CLONE_NEWIPC;
	case OCI_NS_UTS:
		return CLONE_NEWUTS;
	case OCI_NS_USER:
		return CLONE_NEWUSER;
	case OCI_NS_CGROUP:
		return CLONE_NEWCGROUP;
	case OCI_NS_TIME:
		return CLONE_NEWTIME;
	default:
		return 0;
	}
}

const struct oci_namespace *ns_find(const struct oci_config *c, enum oci_ns_type t)
{
	const struct oci_linux *l = c->linux_;
	for (size_t i = 0; l && i < l->n_namespaces; i++)
		if (l->namespaces[i].type == t)
			return &l->namespaces[i];
	return NULL;
}

static int write_map(pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n,
		     struct capsa_error **err)
{
	if (n == 0)
		return 0;
	size_t cap = n * 40 + 1, len = 0;
	_cleanup_free_ char *buf = xmalloc(cap);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%u %u %u\n", m[i].container_id, m[i].host_id,
					m[i].size);
	_cleanup_free_ char *path = xasprintf("/proc/%d/%s", (int)pid, file);
	/* The kernel wants the whole map in one write. */
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		return capsa_error_errno(err, "write %s", file);
	return 0;
}

int write_id_maps(pid_t pid, const struct oci_linux *l, struct capsa_error **err)
{
	if (l == NULL)
		return 0;
	if (write_map(pid, "uid_map", l->uid_mappings, l->n_uid_mappings, err) < 0 ||
	    write_map(pid, "gid_map", l->gid_mappings, l->n_gid_mappings, err) < 0)
		return capsa_error_prefix(err, "user namespace");
	return 0;
}

int write_time_offsets(const struct oci_linux *l, struct capsa_error **err)
{
	if (l == NULL || (!l->time_monotonic.set && !l->time_boottime.set))
		return 0;
	char buf[128];
	int n = 0;
	if (l->time_monotonic.set)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "monotonic %lld %u\n",
			      (long long)l->time_monotonic.secs, l->time_monotonic.nanosecs);
	if (l->time_boottime.set)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "boottime %lld %u\n",
			      (long long)l->time_boottime.secs, l->time_boottime.nanosecs);
	_cleanup_close_ int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, (size_t)n) != n)
		return capsa_error_errno(err, "write time namespace offsets");
	return 0;
}

int ns_join_paths(const struct oci_config *c, int *joined_flags, struct capsa_error **err)
{
	/* The user namespace first: the others are owned by it and need its capabilities to join. */
	static const enum oci_ns_type order[] = {OCI_NS_USER, OCI_NS_IPC,    OCI_NS_UTS,  OCI_NS_NETWORK,
						 OCI_NS_PID,  OCI_NS_CGROUP, OCI_NS_TIME, OCI_NS_MOUNT};
	*joined_flags = 0;
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		const struct oci_namespace *ns = ns_find(c, order[i]);
		if (ns == NULL || ns->path == NULL)
			continue;
		_cleanup_close_ int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return capsa_error_errno(err, "open %s namespace %s", capsa_oci_ns_name(ns->type),
						 ns->path);
		if (setns(fd, ns_clone_flag(ns->type)) < 0)
			return capsa_error_errno(err, "join %s namespace %s", capsa_oci_ns_name(ns->type),
						 ns->path);
		*joined_flags |= ns_clone_flag(ns->type);
	}
	return 0;
}
