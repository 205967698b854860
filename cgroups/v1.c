/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.resources on cgroup v1 (legacy and hybrid hosts). Only set fields are written. */
#define _GNU_SOURCE
#include "cgroups/internal.h"
#include "common/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static struct cg_dir *need(struct capsa_cgroup *cg, const char *c, struct capsa_error **err)
{
	struct cg_dir *d = cgroup_v1_dir(cg, c);
	if (d == NULL)
		capsa_error_set(err, ENOTSUP, "cgroup: the %s controller is not mounted", c);
	return d;
}

static int write_i64(struct cg_dir *d, const char *file, int64_t v, struct capsa_error **err)
{
	return cgroup_writef(d->fd, file, err, "%" PRId64, v);
}

static int write_u64(struct cg_dir *d, const char *file, uint64_t v, struct capsa_error **err)
{
	return cgroup_writef(d->fd, file, err, "%" PRIu64, v);
}

static int apply_memory(struct capsa_cgroup *cg, const struct oci_memory *m, struct capsa_error **err)
{
	struct cg_dir *d = need(cg, "memory", err);
	if (d == NULL)
		return -1;
	if (m->limit.set) {
		_cleanup_error_ struct capsa_error *first = NULL;
		/* memory.limit_in_bytes may not exceed memsw: when both grow, memsw goes first. */
		if (write_i64(d, "memory.limit_in_bytes", m->limit.value, &first) < 0) {
			if (!m->swap.set ||
			    write_i64(d, "memory.memsw.limit_in_bytes", m->swap.value, err) < 0 ||
			    write_i64(d, "memory.limit_in_bytes", m->limit.value, err) < 0) {
				capsa_error_clear(err);
				*err = TAKE_PTR(first);
				return -1;
			}
		}
	}
	if (m->swap.set && write_i64(d, "memory.memsw.limit_in_bytes", m->swap.value, err) < 0)
		return -1;
	if (m->reservation.set && write_i64(d, "memory.soft_limit_in_bytes", m->reservation.value, err) < 0)
		return -1;
	if (m->kernel_tcp.set && write_i64(d, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp.value, err) < 0)
		return -1;
	if (m->kernel.set)
		capsa_warn("cgroup: memory.kernel is deprecated and ignored");
	if (m->swappiness.set) {
		if (m->swappiness.value > 100)
			return capsa_error_set(err, 0, "memory.swappiness %" PRIu64 " is above 100",
					       m->swappiness.value);
		if (write_u64(d, "memory.swappiness", m->swappiness.value, err) < 0)
			return -1;
	}
	if (m->has_disable_oom_killer &&
	    cgroup_write(d->fd, "memory.oom_control", m->disable_oom_killer ? "1" : "0", err) < 0)
		return -1;
	if (m->has_use_hierarchy &&
	    cgroup_write(d->fd, "memory.use_hierarchy", m->use_hierarchy ? "1" : "0", err) < 0)
		return -1;
	return 0;
}

static int apply_cpu(struct capsa_cgroup *cg, const struct oci_cpu *c, struct capsa_error **err)
{
	if (c->shares.set || c->period.set || c->quota.set || c->burst.set || c->realtime_period.set ||
	    c->realtime_runtime.set || c->idle.set) {
		struct cg_dir *d = need(cg, "cpu", err);
		if (d == NULL)
			return -1;
		if (c->shares.set && write_u64(d, "cpu.shares", c->shares.value, err) < 0)
			return -1;
		/* Period first: a quota is checked against the current period. */
		if (c->period.set && write_u64(d, "cpu.cfs_period_us", c->period.value, err) < 0)
			return -1;
		if (c->quota.set && write_i64(d, "cpu.cfs_quota_us", c->quota.value, err) < 0)
			return -1;
		if (c->burst.set && write_u64(d, "cpu.cfs_burst_us", c->burst.value, err) < 0)
			return -1;
		if (c->realtime_period.set &&
		    write_u64(d, "cpu.rt_period_us", c->realtime_period.value, err) < 0)
			return -1;
		if (c->realtime_runtime.set &&
		    write_i64(d, "cpu.rt_runtime_us", c->realtime_runtime.value, err) < 0)
			return -1;
		if (c->idle.set && write_i64(d, "cpu.idle", c->idle.value, err) < 0)
			return -1;
	}
	if (c->cpus || c->mems) {
		struct cg_dir *d = need(cg, "cpuset", err);
		if (d == NULL)
			return -1;
		if (c->cpus && cgroup_write(d->fd, "cpuset.cpus", c->cpus, err) < 0)
			return -1;
		if (c->mems && cgroup_write(d->fd, "cpuset.mems", c->mems, err) < 0)
			return -1;
	}
	return 0;
}

static int write_devs(struct cg_dir *d, const char *file, const struct oci_throttle_device *t, size_t n,
		      struct capsa_error **err)
{
	for (size_t i = 0; i < n; i++)
		if (cgroup_writef(d->fd, file, err, "%" PRId64 ":%" PRId64 " %" PRIu64, t[i].major,
				  t[i].minor, t[i].rate) < 0)
			return -1;
	return 0;
}

static int apply_blkio(struct capsa_cgroup *cg, const struct oci_blkio *b, struct capsa_error **err)
{
	struct cg_dir *d = need(cg, "blkio", err);
	if (d == NULL)
		return -1;
	/* Kernels without CFQ only have the BFQ files; without BFQ group scheduling neither. */
	bool bfq = !cgroup_file_exists(d->fd, "blkio.weight");
	if ((b->weight.set || b->n_weight_device) && bfq && !cgroup_file_exists(d->fd, "blkio.bfq.weight"))
		return capsa_error_set(
			err, ENOTSUP,
			"cgroup: blkio weights are not supported by this kernel (no blkio.weight or "
			"blkio.bfq.weight)");
	const char *weight = bfq ? "blkio.bfq.weight" : "blkio.weight";
	const char *weight_dev = bfq ? "blkio.bfq.weight_device" : "blkio.weight_device";
	if (b->weight.set && write_u64(d, weight, b->weight.value, err) < 0)
		return -1;
	if (b->leaf_weight.set && write_u64(d, "blkio.leaf_weight", b->leaf_weight.value, err) < 0)
		return -1;
	for (size_t i = 0; i < b->n_weight_device; i++) {
		const struct oci_weight_device *w = &b->weight_device[i];
		if (w->weight.set && cgroup_writef(d->fd, weight_dev, err, "%" PRId64 ":%" PRId64 " %" PRIu64,
						   w->major, w->minor, w->weight.value) < 0)
			return -1;
		if (w->leaf_weight.set &&
		    cgroup_writef(d->fd, "blkio.leaf_weight_device", err, "%" PRId64 ":%" PRId64 " %" PRIu64,
				  w->major, w->minor, w->leaf_weight.value) < 0)
			return -1;
	}
	if (write_devs(d, "blkio.throttle.read_bps_device", b->throttle_read_bps, b->n_throttle_read_bps,
		       err) < 0 ||
	    write_devs(d, "blkio.throttle.write_bps_device", b->throttle_write_bps, b->n_throttle_write_bps,
		       err) < 0 ||
	    write_devs(d, "blkio.throttle.read_iops_device", b->throttle_read_iops, b->n_throttle_read_iops,
		       err) < 0 ||
	    write_devs(d, "blkio.throttle.write_iops_device", b->throttle_write_iops,
		       b->n_throttle_write_iops, err) < 0)
		return -1;
	return 0;
}

static int apply_devices(struct capsa_cgroup *cg, const struct oci_device_rule *rules, size_t n,
			 struct capsa_error **err)
{
	for (size_t i = 0; i < n; i++)
		if (cgroup_device_check(&rules[i], err) < 0)
			return capsa_error_prefix(err, "linux.resources.devices[%zu]", i);
	struct cg_dir *d = need(cg, "devices", err);
	if (d == NULL)
		return -1;
	/* Start from deny-all, as on v2; later rules override earlier ones as the kernel applies them. */
	if (cgroup_write(d->fd, "devices.deny", "a", err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct oci_device_rule *r = &rules[i];
		const char *file = r->allow ? "devices.allow" : "devices.deny";
		bool all = (r->type == 0 || r->type == 'a');
		bool any_dev =
			(!r->major.set || r->major.value == -1) && (!r->minor.set || r->minor.value == -1);
		bool rwm = r->access == NULL || (strlen(r->access) == 3 && strchr(r->access, 'r') &&
						 strchr(r->access, 'w') && strchr(r->access, 'm'));
		/* v1's "a" ignores numbers and access: narrower "a" rules become a c and a b rule. */
		const char *types = all ? (any_dev && rwm ? "a" : "cb") : (r->type == 'b' ? "b" : "c");
		for (const char *t = types; *t; t++) {
			_cleanup_free_ char *line = cgroup_device_v1_line(r, *t);
			if (cgroup_write(d->fd, file, line, err) < 0)
				return capsa_error_prefix(err, "linux.resources.devices[%zu]", i);
		}
	}
	return 0;
}

static int apply_hugetlb(struct capsa_cgroup *cg, const struct oci_resources *res, struct capsa_error **err)
{
	struct cg_dir *d = cgroup_v1_dir(cg, "hugetlb");
	bool v2 = false;
	if (d == NULL) {
		/* Hybrid hosts may leave hugetlb to the v2 hierarchy (this machine does). */
		d = cgroup_v2_dir(cg);
		v2 = d && cgroup_v2_has_controller(d, "hugetlb");
		if (!v2)
			return capsa_error_set(err, ENOTSUP,
					       "cgroup: the hugetlb controller is not available");
	}
	for (size_t i = 0; i < res->n_hugepage_limits; i++) {
		const struct oci_hugepage_limit *h = &res->hugepage_limits[i];
		_cleanup_free_ char *file =
			xasprintf("hugetlb.%s.%s", h->page_size, v2 ? "max" : "limit_in_bytes");
		if (strchr(h->page_size, '/'))
			return capsa_error_set(err, 0, "hugepageLimits: bad page size '%s'", h->page_size);
		if (write_u64(d, file, h->limit, err) < 0)
			return -1;
	}
	return 0;
}

static int apply_unified_hybrid(struct capsa_cgroup *cg, const struct oci_resources *res,
				struct capsa_error **err)
{
	struct cg_dir *d = cgroup_v2_dir(cg);
	for (size_t i = 0; i < res->n_unified; i++) {
		const char *k = res->unified[i].key;
		const char *dot = strchr(k, '.');
		_cleanup_free_ char *ctl = dot ? xstrndup(k, (size_t)(dot - k)) : NULL;
		/* Only controllers the v2 tree holds on this host can take v2 keys. */
		if (d == NULL || ctl == NULL || strchr(k, '/') || !cgroup_v2_has_controller(d, ctl))
			return capsa_error_set(
				err, ENOTSUP,
				"linux.resources.unified: '%s' needs a cgroup v2 controller this "
				"host does not have in v2",
				k);
		if (cgroup_write(d->fd, k, res->unified[i].value, err) < 0)
			return -1;
	}
	return 0;
}

int cgroup_v1_apply(struct capsa_cgroup *cg, const struct oci_resources *res, struct capsa_error **err)
{
	if (res->memory && apply_memory(cg, res->memory, err) < 0)
		return -1;
	if (res->cpu && apply_cpu(cg, res->cpu, err) < 0)
		return -1;
	if (res->pids_limit.set) {
		struct cg_dir *d = need(cg, "pids", err);
		if (d == NULL)
			return -1;
		int r = res->pids_limit.value > 0 ? write_i64(d, "pids.max", res->pids_limit.value, err)
						  : cgroup_write(d->fd, "pids.max", "max", err);
		if (r < 0)
			return -1;
	}
	if (res->blkio && apply_blkio(cg, res->blkio, err) < 0)
		return -1;
	if (res->n_hugepage_limits && apply_hugetlb(cg, res, err) < 0)
		return -1;
	if (res->n_devices && apply_devices(cg, res->devices, res->n_devices, err) < 0)
		return -1;
	if (res->net_class_id.set) {
		struct cg_dir *d = need(cg, "net_cls", err);
		if (d == NULL || write_u64(d, "net_cls.classid", res->net_class_id.value, err) < 0)
			return -1;
	}
	if (res->n_net_priorities) {
		struct cg_dir *d = need(cg, "net_prio", err);
		if (d == NULL)
			return -1;
		for (size_t i = 0; i < res->n_net_priorities; i++)
			if (cgroup_writef(d->fd, "net_prio.ifpriomap", err, "%s %u",
					  res->net_priorities[i].name, res->net_priorities[i].priority) < 0)
				return -1;
	}
	if (res->n_rdma)
		return capsa_error_set(err, ENOTSUP, "cgroup: rdma limits are not supported");
	if (res->n_unified && apply_unified_hybrid(cg, res, err) < 0)
		return -1;
	return 0;
}
