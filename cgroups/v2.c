/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.resources on a pure cgroup v2 host, converted from the spec's v1 terms. Only set fields are written.
 */
#define _GNU_SOURCE
#include "cgroups/internal.h"
#include "common/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int need(struct cg_dir *d, const char *c, struct capsa_error **err)
{
	if (!cgroup_v2_has_controller(d, c))
		return capsa_error_set(err, ENOTSUP, "cgroup: the %s controller is not available in %s", c,
				       d->dir);
	return 0;
}

/* v2 spells "no limit" as "max"; the spec uses -1. */
static int write_limit(struct cg_dir *d, const char *file, int64_t v, struct capsa_error **err)
{
	if (v < 0)
		return cgroup_write(d->fd, file, "max", err);
	return cgroup_writef(d->fd, file, err, "%" PRId64, v);
}

static int apply_memory(struct cg_dir *d, const struct oci_memory *m, struct capsa_error **err)
{
	if (need(d, "memory", err) < 0)
		return -1;
	if (m->swap.set) {
		int64_t swap;
		if (capsa_cgroup_swap_to_v2(m->limit.value, m->limit.set, m->swap.value, &swap, err) < 0)
			return -1;
		/* Without swap accounting the file is absent; only a real limit is then an error. */
		if (cgroup_file_exists(d->fd, "memory.swap.max")) {
			if (write_limit(d, "memory.swap.max", swap, err) < 0)
				return -1;
		} else if (swap > 0) {
			return capsa_error_set(err, ENOTSUP,
					       "cgroup: memory.swap is set but swap accounting is off");
		}
	}
	if (m->limit.set && write_limit(d, "memory.max", m->limit.value, err) < 0)
		return -1;
	if (m->reservation.set && write_limit(d, "memory.low", m->reservation.value, err) < 0)
		return -1;
	if (m->kernel.set || m->kernel_tcp.set)
		capsa_warn("cgroup: memory.kernel and memory.kernelTCP have no v2 equivalent; ignored");
	if (m->swappiness.set)
		capsa_debug("cgroup: memory.swappiness has no v2 equivalent; ignored");
	if (m->has_disable_oom_killer && m->disable_oom_killer)
		return capsa_error_set(err, ENOTSUP,
				       "cgroup: memory.disableOOMKiller is not possible on cgroup v2");
	return 0;
}

static int apply_cpu(struct cg_dir *d, const struct oci_cpu *c, struct capsa_error **err)
{
	if (c->shares.set || c->quota.set || c->period.set || c->burst.set || c->idle.set) {
		if (need(d, "cpu", err) < 0)
			return -1;
	}
	if (c->shares.set && cgroup_writef(d->fd, "cpu.weight", err, "%" PRIu64,
					   capsa_cgroup_shares_to_weight(c->shares.value)) < 0)
		return -1;
	if (c->quota.set || c->period.set) {
		bool quota_set = c->quota.set;
		int64_t quota = c->quota.value;
		uint64_t period = c->period.value;
		_cleanup_free_ char *cur = NULL;
		/* cpu.max takes both numbers at once: keep the half that is not being changed. */
		if ((!c->quota.set || !c->period.set) && cgroup_read(d->fd, "cpu.max", &cur, NULL) == 0) {
			char q[32];
			uint64_t p;
			if (sscanf(cur, "%31s %" SCNu64, q, &p) == 2) {
				if (!c->period.set)
					period = p;
				if (!c->quota.set && strcmp(q, "max") != 0) {
					quota_set = true;
					quota = strtoll(q, NULL, 10);
				}
			}
		}
		char buf[64];
		capsa_cgroup_cpu_max(quota_set, quota, period, buf, sizeof(buf));
		if (cgroup_write(d->fd, "cpu.max", buf, err) < 0)
			return -1;
	}
	if (c->burst.set && cgroup_writef(d->fd, "cpu.max.burst", err, "%" PRIu64, c->burst.value) < 0)
		return -1;
	if (c->idle.set && cgroup_writef(d->fd, "cpu.idle", err, "%" PRId64, c->idle.value) < 0)
		return -1;
	if ((c->realtime_runtime.set && c->realtime_runtime.value != 0) ||
	    (c->realtime_period.set && c->realtime_period.value != 0))
		return capsa_error_set(err, ENOTSUP,
				       "cgroup: cpu.realtimeRuntime/Period are not supported on v2");
	if (c->cpus || c->mems) {
		if (need(d, "cpuset", err) < 0)
			return -1;
		if (c->cpus && cgroup_write(d->fd, "cpuset.cpus", c->cpus, err) < 0)
			return -1;
		if (c->mems && cgroup_write(d->fd, "cpuset.mems", c->mems, err) < 0)
			return -1;
	}
	return 0;
}

static int io_max(struct cg_dir *d, const char *key, const struct oci_throttle_device *t, size_t n,
		  struct capsa_error **err)
{
	for (size_t i = 0; i < n; i++)
		if (cgroup_writef(d->fd, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t[i].major,
				  t[i].minor, key, t[i].rate) < 0)
			return -1;
	return 0;
}

static int apply_io(struct cg_dir *d, const struct oci_blkio *b, struct capsa_error **err)
{
	if (need(d, "io", err) < 0)
		return -1;
	/* BFQ takes the v1 range as is; io.weight (the cost model) takes the converted one. */
	bool bfq = cgroup_file_exists(d->fd, "io.bfq.weight");
	bool iow = cgroup_file_exists(d->fd, "io.weight");
	if (b->weight.set && b->weight.value) {
		if (!bfq && !iow)
			return capsa_error_set(err, ENOTSUP,
					       "cgroup: neither io.bfq.weight nor io.weight exists");
		if (bfq && cgroup_writef(d->fd, "io.bfq.weight", err, "%" PRIu64, b->weight.value) < 0)
			return -1;
		if (iow && cgroup_writef(d->fd, "io.weight", err, "default %" PRIu64,
					 capsa_cgroup_blkio_to_io_weight(b->weight.value)) < 0)
			return -1;
	}
	for (size_t i = 0; i < b->n_weight_device; i++) {
		const struct oci_weight_device *w = &b->weight_device[i];
		if (!w->weight.set)
			continue;
		if (bfq && cgroup_writef(d->fd, "io.bfq.weight", err, "%" PRId64 ":%" PRId64 " %" PRIu64,
					 w->major, w->minor, w->weight.value) < 0)
			return -1;
		if (!bfq &&
		    cgroup_writef(d->fd, "io.weight", err, "%" PRId64 ":%" PRId64 " %" PRIu64, w->major,
				  w->minor, capsa_cgroup_blkio_to_io_weight(w->weight.value)) < 0)
			return -1;
	}
	if (io_max(d, "rbps", b->throttle_read_bps, b->n_throttle_read_bps, err) < 0 ||
	    io_max(d, "wbps", b->throttle_write_bps, b->n_throttle_write_bps, err) < 0 ||
	    io_max(d, "riops", b->throttle_read_iops, b->n_throttle_read_iops, err) < 0 ||
	    io_max(d, "wiops", b->throttle_write_iops, b->n_throttle_write_iops, err) < 0)
		return -1;
	return 0;
}

/* Keys are "<controller>.<knob>" of a controller this cgroup has, or a core "cgroup." knob. */
static int apply_unified(struct cg_dir *d, const struct oci_kv *kv, size_t n, struct capsa_error **err)
{
	for (size_t i = 0; i < n; i++) {
		const char *k = kv[i].key;
		const char *dot = strchr(k, '.');
		if (dot == NULL || dot == k || strchr(k, '/') || k[0] == '.')
			return capsa_error_set(err, 0, "linux.resources.unified: '%s' is not a cgroup file",
					       k);
		_cleanup_free_ char *ctl = xstrndup(k, (size_t)(dot - k));
		if (strcmp(ctl, "cgroup") != 0 && !cgroup_v2_has_controller(d, ctl))
			return capsa_error_set(
				err, ENOTSUP, "linux.resources.unified: '%s': controller %s is not available",
				k, ctl);
		if (!cgroup_file_exists(d->fd, k))
			return capsa_error_set(err, ENOENT, "linux.resources.unified: '%s' does not exist",
					       k);
		if (cgroup_write(d->fd, k, kv[i].value, err) < 0)
			return -1;
	}
	return 0;
}

int cgroup_v2_apply(struct capsa_cgroup *cg, const struct oci_resources *res, struct capsa_error **err)
{
	struct cg_dir *d = cgroup_v2_dir(cg);
	if (d == NULL)
		return capsa_error_set(err, ENOENT, "cgroup %s does not exist", cg->path);
	if (res->memory && apply_memory(d, res->memory, err) < 0)
		return -1;
	if (res->cpu && apply_cpu(d, res->cpu, err) < 0)
		return -1;
	if (res->pids_limit.set) {
		if (need(d, "pids", err) < 0)
			return -1;
		int r = res->pids_limit.value > 0
				? cgroup_writef(d->fd, "pids.max", err, "%" PRId64, res->pids_limit.value)
				: cgroup_write(d->fd, "pids.max", "max", err);
		if (r < 0)
			return -1;
	}
	if (res->blkio && apply_io(d, res->blkio, err) < 0)
		return -1;
	if (res->n_hugepage_limits) {
		if (need(d, "hugetlb", err) < 0)
			return -1;
		for (size_t i = 0; i < res->n_hugepage_limits; i++) {
			const struct oci_hugepage_limit *h = &res->hugepage_limits[i];
			if (strchr(h->page_size, '/'))
				return capsa_error_set(err, 0, "hugepageLimits: bad page size '%s'",
						       h->page_size);
			_cleanup_free_ char *file = xasprintf("hugetlb.%s.max", h->page_size);
			if (cgroup_writef(d->fd, file, err, "%" PRIu64, h->limit) < 0)
				return -1;
		}
	}
	if (res->net_class_id.set || res->n_net_priorities)
		capsa_debug("cgroup: net_cls/net_prio have no v2 equivalent; ignored");
	if (res->n_rdma)
		return capsa_error_set(err, ENOTSUP, "cgroup: rdma limits are not supported");
	if (res->n_unified && apply_unified(d, res->unified, res->n_unified, err) < 0)
		return -1;
	if (res->n_devices && cgroup_device_attach(d->fd, res->devices, res->n_devices, err) < 0)
		return -1;
	return 0;
}
