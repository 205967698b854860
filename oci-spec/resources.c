/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.resources: the cgroup settings of config.json (also what `update` reads). */
#include "oci-spec/json-internal.h"

#include <stdlib.h>
#include <string.h>

static int parse_device_rule(struct jctx *c, struct json_object *v, const struct jpath *p,
			     struct oci_device_rule *d)
{
	struct json_object *f = oci_jget(v, "allow");
	if (f == NULL)
		return oci_jmissing(c, p, "allow");
	if (oci_jbool(c, f, JP_KEY(p, "allow"), &d->allow) < 0)
		return -1;
	_cleanup_free_ char *type = NULL;
	if (oci_jf_string(c, v, p, "type", false, &type) < 0)
		return -1;
	d->type = 'a';
	if (type) {
		if (strlen(type) != 1 || strchr("acb", type[0]) == NULL)
			return oci_jerr(c, JP_KEY(p, "type"), "expected one of a, c, b");
		d->type = type[0];
	}
	if (oci_jf_opt_i64(c, v, p, "major", INT64_MIN, INT64_MAX, &d->major) < 0 ||
	    oci_jf_opt_i64(c, v, p, "minor", INT64_MIN, INT64_MAX, &d->minor) < 0 ||
	    oci_jf_string(c, v, p, "access", false, &d->access) < 0)
		return -1;
	if (d->access && strspn(d->access, "rwm") != strlen(d->access))
		return oci_jerr(c, JP_KEY(p, "access"), "expected a combination of r, w and m");
	return 0;
}

static int parse_memory(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_memory **out)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	struct oci_memory *m = *out = xzalloc(sizeof(*m));
	if (oci_jf_opt_i64(c, v, p, "limit", INT64_MIN, INT64_MAX, &m->limit) < 0 ||
	    oci_jf_opt_i64(c, v, p, "reservation", INT64_MIN, INT64_MAX, &m->reservation) < 0 ||
	    oci_jf_opt_i64(c, v, p, "swap", INT64_MIN, INT64_MAX, &m->swap) < 0 ||
	    oci_jf_opt_i64(c, v, p, "kernel", INT64_MIN, INT64_MAX, &m->kernel) < 0 ||
	    oci_jf_opt_i64(c, v, p, "kernelTCP", INT64_MIN, INT64_MAX, &m->kernel_tcp) < 0 ||
	    oci_jf_opt_u64(c, v, p, "swappiness", UINT64_MAX, &m->swappiness) < 0 ||
	    oci_jf_bool(c, v, p, "checkBeforeUpdate", &m->check_before_update) < 0)
		return -1;
	m->has_disable_oom_killer = oci_jget(v, "disableOOMKiller") != NULL;
	m->has_use_hierarchy = oci_jget(v, "useHierarchy") != NULL;
	if (oci_jf_bool(c, v, p, "disableOOMKiller", &m->disable_oom_killer) < 0 ||
	    oci_jf_bool(c, v, p, "useHierarchy", &m->use_hierarchy) < 0)
		return -1;
	return 0;
}

static int parse_cpu(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_cpu **out)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	struct oci_cpu *cpu = *out = xzalloc(sizeof(*cpu));
	if (oci_jf_opt_u64(c, v, p, "shares", UINT64_MAX, &cpu->shares) < 0 ||
	    oci_jf_opt_i64(c, v, p, "quota", INT64_MIN, INT64_MAX, &cpu->quota) < 0 ||
	    oci_jf_opt_u64(c, v, p, "burst", UINT64_MAX, &cpu->burst) < 0 ||
	    oci_jf_opt_u64(c, v, p, "period", UINT64_MAX, &cpu->period) < 0 ||
	    oci_jf_opt_i64(c, v, p, "realtimeRuntime", INT64_MIN, INT64_MAX, &cpu->realtime_runtime) < 0 ||
	    oci_jf_opt_u64(c, v, p, "realtimePeriod", UINT64_MAX, &cpu->realtime_period) < 0 ||
	    oci_jf_string(c, v, p, "cpus", false, &cpu->cpus) < 0 ||
	    oci_jf_string(c, v, p, "mems", false, &cpu->mems) < 0 ||
	    oci_jf_opt_i64(c, v, p, "idle", INT64_MIN, INT64_MAX, &cpu->idle) < 0)
		return -1;
	return 0;
}

static int parse_blkio_device(struct jctx *c, struct json_object *v, const struct jpath *p, int64_t *major,
			      int64_t *minor)
{
	struct json_object *f;
	if ((f = oci_jget(v, "major")) == NULL)
		return oci_jmissing(c, p, "major");
	if (oci_ji64(c, f, JP_KEY(p, "major"), INT64_MIN, INT64_MAX, major) < 0)
		return -1;
	if ((f = oci_jget(v, "minor")) == NULL)
		return oci_jmissing(c, p, "minor");
	return oci_ji64(c, f, JP_KEY(p, "minor"), INT64_MIN, INT64_MAX, minor);
}

static int parse_weight_device(struct jctx *c, struct json_object *v, const struct jpath *p,
			       struct oci_weight_device *d)
{
	if (parse_blkio_device(c, v, p, &d->major, &d->minor) < 0 ||
	    oci_jf_opt_u64(c, v, p, "weight", UINT16_MAX, &d->weight) < 0 ||
	    oci_jf_opt_u64(c, v, p, "leafWeight", UINT16_MAX, &d->leaf_weight) < 0)
		return -1;
	return 0;
}

static int parse_throttle_device(struct jctx *c, struct json_object *v, const struct jpath *p,
				 struct oci_throttle_device *d)
{
	if (parse_blkio_device(c, v, p, &d->major, &d->minor) < 0)
		return -1;
	struct json_object *f = oci_jget(v, "rate");
	if (f && oci_ju64(c, f, JP_KEY(p, "rate"), UINT64_MAX, &d->rate) < 0)
		return -1;
	return 0;
}

static int parse_hugepage_limit(struct jctx *c, struct json_object *v, const struct jpath *p,
				struct oci_hugepage_limit *h)
{
	if (oci_jf_string(c, v, p, "pageSize", true, &h->page_size) < 0)
		return -1;
	/* ^[1-9][0-9]*[KMG]B$: the form the hugetlb controller uses in its file names. */
	const char *s = h->page_size;
	size_t digits = strspn(s, "0123456789");
	if (digits == 0 || s[0] == '0' || strchr("KMG", s[digits]) == NULL || s[digits] == '\0' ||
	    strcmp(s + digits + 1, "B") != 0) {
		_cleanup_free_ char *esc = capsa_json_escape(s);
		return oci_jerr(c, JP_KEY(p, "pageSize"),
				"invalid page size \"%s\" (expected a form like \"2MB\")", esc);
	}
	struct json_object *f = oci_jget(v, "limit");
	if (f == NULL)
		return oci_jmissing(c, p, "limit");
	return oci_ju64(c, f, JP_KEY(p, "limit"), UINT64_MAX, &h->limit);
}

static int parse_net_priority(struct jctx *c, struct json_object *v, const struct jpath *p,
			      struct oci_net_priority *np)
{
	if (oci_jf_string(c, v, p, "name", true, &np->name) < 0)
		return -1;
	struct json_object *f = oci_jget(v, "priority");
	if (f == NULL)
		return oci_jmissing(c, p, "priority");
	return oci_ju32(c, f, JP_KEY(p, "priority"), &np->priority);
}

static int parse_blkio(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_blkio **out)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	struct oci_blkio *b = *out = xzalloc(sizeof(*b));
	struct json_object *f;
	if (oci_jf_opt_u64(c, v, p, "weight", UINT16_MAX, &b->weight) < 0 ||
	    oci_jf_opt_u64(c, v, p, "leafWeight", UINT16_MAX, &b->leaf_weight) < 0)
		return -1;
	if ((f = oci_jget(v, "weightDevice")) &&
	    OCI_PARSE_ARRAY(c, f, JP_KEY(p, "weightDevice"), b->weight_device, b->n_weight_device,
			    parse_weight_device) < 0)
		return -1;
#define THROTTLE(key, field)                                                                                 \
	if ((f = oci_jget(v, key)) &&                                                                        \
	    OCI_PARSE_ARRAY(c, f, JP_KEY(p, key), b->field, b->n_##field, parse_throttle_device) < 0)        \
		return -1;
	THROTTLE("throttleReadBpsDevice", throttle_read_bps)
	THROTTLE("throttleWriteBpsDevice", throttle_write_bps)
	THROTTLE("throttleReadIOPSDevice", throttle_read_iops)
	THROTTLE("throttleWriteIOPSDevice", throttle_write_iops)
#undef THROTTLE
	return 0;
}

static int parse_network(struct jctx *c, struct json_object *v, const struct jpath *p,
			 struct oci_resources *r)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	struct json_object *f;
	if (oci_jf_opt_u64(c, v, p, "classID", UINT32_MAX, &r->net_class_id) < 0)
		return -1;
	if ((f = oci_jget(v, "priorities")) &&
	    OCI_PARSE_ARRAY(c, f, JP_KEY(p, "priorities"), r->net_priorities, r->n_net_priorities,
			    parse_net_priority) < 0)
		return -1;
	return 0;
}

static int parse_rdma(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_resources *r)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	size_t n = json_object_object_length(v), i = 0;
	r->rdma = xcalloc(n ? n : 1, sizeof(*r->rdma));
	r->n_rdma = n;
	json_object_object_foreach(v, key, val)
	{
		struct oci_rdma *d = &r->rdma[i++];
		const struct jpath *dp = JP_KEY(p, key);
		d->device = xstrdup(key);
		if (val == NULL || oci_jobject(c, val, dp) < 0)
			return val ? -1 : oci_jerr(c, dp, "expected an object");
		if (oci_jf_opt_u64(c, val, dp, "hcaHandles", UINT32_MAX, &d->hca_handles) < 0 ||
		    oci_jf_opt_u64(c, val, dp, "hcaObjects", UINT32_MAX, &d->hca_objects) < 0)
			return -1;
	}
	return 0;
}

static int parse_resources(struct jctx *c, struct json_object *v, const struct jpath *p,
			   struct oci_resources *r)
{
	struct json_object *f;
	if ((f = oci_jget(v, "devices")) &&
	    OCI_PARSE_ARRAY(c, f, JP_KEY(p, "devices"), r->devices, r->n_devices, parse_device_rule) < 0)
		return -1;
	if ((f = oci_jget(v, "memory")) && parse_memory(c, f, JP_KEY(p, "memory"), &r->memory) < 0)
		return -1;
	if ((f = oci_jget(v, "cpu")) && parse_cpu(c, f, JP_KEY(p, "cpu"), &r->cpu) < 0)
		return -1;
	if ((f = oci_jget(v, "pids"))) {
		const struct jpath *pp = JP_KEY(p, "pids");
		struct json_object *lim;
		if (oci_jobject(c, f, pp) < 0)
			return -1;
		if ((lim = oci_jget(f, "limit")) == NULL)
			return oci_jmissing(c, pp, "limit");
		if (oci_ji64(c, lim, JP_KEY(pp, "limit"), INT64_MIN, INT64_MAX, &r->pids_limit.value) < 0)
			return -1;
		r->pids_limit.set = true;
	}
	if ((f = oci_jget(v, "blockIO")) && parse_blkio(c, f, JP_KEY(p, "blockIO"), &r->blkio) < 0)
		return -1;
	if ((f = oci_jget(v, "hugepageLimits")) &&
	    OCI_PARSE_ARRAY(c, f, JP_KEY(p, "hugepageLimits"), r->hugepage_limits, r->n_hugepage_limits,
			    parse_hugepage_limit) < 0)
		return -1;
	if ((f = oci_jget(v, "network")) && parse_network(c, f, JP_KEY(p, "network"), r) < 0)
		return -1;
	if ((f = oci_jget(v, "rdma")) && parse_rdma(c, f, JP_KEY(p, "rdma"), r) < 0)
		return -1;
	return oci_jf_map(c, v, p, "unified", &r->unified, &r->n_unified);
}

int oci_parse_resources(struct jctx *c, struct json_object *v, const struct jpath *p,
			struct oci_resources **out)
{
	if (oci_jobject(c, v, p) < 0)
		return -1;
	struct oci_resources *r = *out = xzalloc(sizeof(*r));
	return parse_resources(c, v, p, r);
}

int capsa_oci_resources_parse(const char *json, size_t len, const char *name, struct oci_resources **out,
			      struct capsa_error **err)
{
	_cleanup_json_ struct json_object *obj = NULL;
	if (oci_json_parse_object(json, len, name, &obj, err) < 0)
		return -1;
	struct jctx c = {.name = name, .err = err};
	struct oci_resources *r = NULL;
	if (oci_parse_resources(&c, obj, NULL, &r) < 0) {
		oci_resources_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void capsa_oci_resources_free(struct oci_resources *r)
{
	oci_resources_free(r);
}

char *capsa_oci_resources_to_json(const struct oci_resources *r)
{
	return oci_json_dump(oci_resources_to_json(r));
}

void oci_resources_free(struct oci_resources *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; r->devices && i < r->n_devices; i++)
		free(r->devices[i].access);
	free(r->devices);
	free(r->memory);
	if (r->cpu) {
		free(r->cpu->cpus);
		free(r->cpu->mems);
		free(r->cpu);
	}
	if (r->blkio) {
		free(r->blkio->weight_device);
		free(r->blkio->throttle_read_bps);
		free(r->blkio->throttle_write_bps);
		free(r->blkio->throttle_read_iops);
		free(r->blkio->throttle_write_iops);
		free(r->blkio);
	}
	for (size_t i = 0; r->hugepage_limits && i < r->n_hugepage_limits; i++)
		free(r->hugepage_limits[i].page_size);
	free(r->hugepage_limits);
	for (size_t i = 0; r->net_priorities && i < r->n_net_priorities; i++)
		free(r->net_priorities[i].name);
	free(r->net_priorities);
	for (size_t i = 0; r->rdma && i < r->n_rdma; i++)
		free(r->rdma[i].device);
	free(r->rdma);
	oci_kv_free(r->unified, r->n_unified);
	free(r);
}

static void throttle_to_json(struct json_object *o, const char *key, const struct oci_throttle_device *d,
			     size_t n)
{
	if (d == NULL)
		return;
	struct json_object *a = oci_jw_child(o, key, json_object_new_array());
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_new_object();
		json_object_array_add(a, e);
		oci_jw_i64(e, "major", d[i].major);
		oci_jw_i64(e, "minor", d[i].minor);
		oci_jw_u64(e, "rate", d[i].rate);
	}
}

static struct json_object *blkio_to_json(const struct oci_blkio *b)
{
	struct json_object *o = json_object_new_object();
	oci_jw_opt_u64(o, "weight", b->weight);
	oci_jw_opt_u64(o, "leafWeight", b->leaf_weight);
	if (b->weight_device) {
		struct json_object *a = oci_jw_child(o, "weightDevice", json_object_new_array());
		for (size_t i = 0; i < b->n_weight_device; i++) {
			struct json_object *e = json_object_new_object();
			json_object_array_add(a, e);
			oci_jw_i64(e, "major", b->weight_device[i].major);
			oci_jw_i64(e, "minor", b->weight_device[i].minor);
			oci_jw_opt_u64(e, "weight", b->weight_device[i].weight);
			oci_jw_opt_u64(e, "leafWeight", b->weight_device[i].leaf_weight);
		}
	}
	throttle_to_json(o, "throttleReadBpsDevice", b->throttle_read_bps, b->n_throttle_read_bps);
	throttle_to_json(o, "throttleWriteBpsDevice", b->throttle_write_bps, b->n_throttle_write_bps);
	throttle_to_json(o, "throttleReadIOPSDevice", b->throttle_read_iops, b->n_throttle_read_iops);
	throttle_to_json(o, "throttleWriteIOPSDevice", b->throttle_write_iops, b->n_throttle_write_iops);
	return o;
}

static struct json_object *memory_to_json(const struct oci_memory *m)
{
	struct json_object *o = json_object_new_object();
	oci_jw_opt_i64(o, "limit", m->limit);
	oci_jw_opt_i64(o, "reservation", m->reservation);
	oci_jw_opt_i64(o, "swap", m->swap);
	oci_jw_opt_i64(o, "kernel", m->kernel);
	oci_jw_opt_i64(o, "kernelTCP", m->kernel_tcp);
	oci_jw_opt_u64(o, "swappiness", m->swappiness);
	if (m->has_disable_oom_killer)
		oci_jw_bool(o, "disableOOMKiller", m->disable_oom_killer);
	if (m->has_use_hierarchy)
		oci_jw_bool(o, "useHierarchy", m->use_hierarchy);
	if (m->check_before_update)
		oci_jw_bool(o, "checkBeforeUpdate", true);
	return o;
}

static struct json_object *cpu_to_json(const struct oci_cpu *cpu)
{
	struct json_object *o = json_object_new_object();
	oci_jw_opt_u64(o, "shares", cpu->shares);
	oci_jw_opt_i64(o, "quota", cpu->quota);
	oci_jw_opt_u64(o, "burst", cpu->burst);
	oci_jw_opt_u64(o, "period", cpu->period);
	oci_jw_opt_i64(o, "realtimeRuntime", cpu->realtime_runtime);
	oci_jw_opt_u64(o, "realtimePeriod", cpu->realtime_period);
	oci_jw_string(o, "cpus", cpu->cpus);
	oci_jw_string(o, "mems", cpu->mems);
	oci_jw_opt_i64(o, "idle", cpu->idle);
	return o;
}

struct json_object *oci_resources_to_json(const struct oci_resources *r)
{
	struct json_object *o = json_object_new_object();
	if (r->devices) {
		struct json_object *a = oci_jw_child(o, "devices", json_object_new_array());
		for (size_t i = 0; i < r->n_devices; i++) {
			const struct oci_device_rule *d = &r->devices[i];
			struct json_object *e = json_object_new_object();
			json_object_array_add(a, e);
			oci_jw_bool(e, "allow", d->allow);
			/* "a" is what an absent type means: leave it out as runc's spec does. */
			if (d->type && d->type != 'a') {
				char type[2] = {d->type, '\0'};
				oci_jw_string(e, "type", type);
			}
			oci_jw_opt_i64(e, "major", d->major);
			oci_jw_opt_i64(e, "minor", d->minor);
			oci_jw_string(e, "access", d->access);
		}
	}
	if (r->memory)
		oci_jw_child(o, "memory", memory_to_json(r->memory));
	if (r->cpu)
		oci_jw_child(o, "cpu", cpu_to_json(r->cpu));
	if (r->pids_limit.set) {
		struct json_object *pids = oci_jw_child(o, "pids", json_object_new_object());
		oci_jw_i64(pids, "limit", r->pids_limit.value);
	}
	if (r->blkio)
		oci_jw_child(o, "blockIO", blkio_to_json(r->blkio));
	if (r->hugepage_limits) {
		struct json_object *a = oci_jw_child(o, "hugepageLimits", json_object_new_array());
		for (size_t i = 0; i < r->n_hugepage_limits; i++) {
			struct json_object *e = json_object_new_object();
			json_object_array_add(a, e);
			oci_jw_string(e, "pageSize", r->hugepage_limits[i].page_size);
			oci_jw_u64(e, "limit", r->hugepage_limits[i].limit);
		}
	}
	if (r->net_class_id.set || r->net_priorities) {
		struct json_object *net = oci_jw_child(o, "network", json_object_new_object());
		oci_jw_opt_u64(net, "classID", r->net_class_id);
		if (r->net_priorities) {
			struct json_object *a = oci_jw_child(net, "priorities", json_object_new_array());
			for (size_t i = 0; i < r->n_net_priorities; i++) {
				struct json_object *e = json_object_new_object();
				json_object_array_add(a, e);
				oci_jw_string(e, "name", r->net_priorities[i].name);
				oci_jw_u64(e, "priority", r->net_priorities[i].priority);
			}
		}
	}
	if (r->rdma) {
		struct json_object *rd = oci_jw_child(o, "rdma", json_object_new_object());
		for (size_t i = 0; i < r->n_rdma; i++) {
			struct json_object *e = oci_jw_child(rd, r->rdma[i].device, json_object_new_object());
			oci_jw_opt_u64(e, "hcaHandles", r->rdma[i].hca_handles);
			oci_jw_opt_u64(e, "hcaObjects", r->rdma[i].hca_objects);
		}
	}
	oci_jw_map(o, "unified", r->unified, r->n_unified);
	return o;
}
