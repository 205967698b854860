/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stats from v1 (cpuacct, cpu, memory, pids, blkio) or v2 (cpu.stat, memory.*, pids.*, io.stat). */
#define _GNU_SOURCE
#include "cgroups/internal.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* v1 reports "no limit" as the largest page-aligned long: make it look like v2's "max". */
#define V1_UNLIMITED_FLOOR 0x7FFFFFFFFFFFF000ULL

static int parse_word(const char *s, size_t len, uint64_t *out)
{
	char buf[32];
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (strcmp(buf, "max") == 0) {
		*out = CAPSA_CGROUP_UNLIMITED;
		return 0;
	}
	return capsa_parse_u64(buf, out);
}

int cgroup_parse_value(const char *text, uint64_t *out)
{
	if (text == NULL)
		return -1;
	size_t len = strcspn(text, " \n");
	if (text[len] != '\0' && text[len + strspn(text + len, " \n")] != '\0')
		return -1; /* more than one value */
	return parse_word(text, len, out);
}

int cgroup_parse_keyed(const char *text, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	for (const char *line = text; line && *line;) {
		const char *eol = strchrnul(line, '\n');
		if ((size_t)(eol - line) > kl && strncmp(line, key, kl) == 0 && line[kl] == ' ') {
			const char *v = line + kl + 1;
			return parse_word(v, (size_t)(eol - v), out);
		}
		line = *eol ? eol + 1 : eol;
	}
	return -1;
}

int cgroup_parse_io_stat(const char *text, uint64_t *rbytes, uint64_t *wbytes, uint64_t *rios, uint64_t *wios)
{
	static const char *const keys[] = {"rbytes", "wbytes", "rios", "wios"};
	uint64_t *outs[] = {rbytes, wbytes, rios, wios};
	uint64_t sums[4] = {0};
	_cleanup_free_ char *copy = xstrdup(text);
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *lsave = NULL;
		char *dev = strtok_r(line, " ", &lsave);
		if (dev == NULL || strchr(dev, ':') == NULL)
			return -1;
		for (char *kv = strtok_r(NULL, " ", &lsave); kv; kv = strtok_r(NULL, " ", &lsave)) {
			char *eq = strchr(kv, '=');
			uint64_t v;
			if (eq == NULL)
				return -1;
			*eq = '\0';
			for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
				if (strcmp(kv, keys[k]) != 0)
					continue;
				if (capsa_parse_u64(eq + 1, &v) < 0)
					return -1;
				sums[k] += v;
			}
		}
	}
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
		*outs[k] = sums[k];
	return 0;
}

int cgroup_parse_blkio(const char *text, uint64_t *read, uint64_t *write)
{
	uint64_t r = 0, w = 0;
	_cleanup_free_ char *copy = xstrdup(text);
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *lsave = NULL;
		char *dev = strtok_r(line, " ", &lsave);
		char *op = strtok_r(NULL, " ", &lsave);
		char *val = strtok_r(NULL, " ", &lsave);
		uint64_t v;
		if (dev && strcmp(dev, "Total") == 0)
			continue;
		if (dev == NULL || op == NULL || val == NULL || strchr(dev, ':') == NULL ||
		    capsa_parse_u64(val, &v) < 0)
			return -1;
		if (strcmp(op, "Read") == 0)
			r += v;
		else if (strcmp(op, "Write") == 0)
			w += v;
	}
	*read = r;
	*write = w;
	return 0;
}

/* Missing files are skipped: not every kernel has every knob (memory.peak, memsw). */
static void read_value(int fd, const char *file, uint64_t *out)
{
	_cleanup_free_ char *t = NULL;
	if (fd >= 0 && cgroup_read(fd, file, &t, NULL) == 0)
		cgroup_parse_value(t, out);
}

static char *read_text(int fd, const char *file)
{
	char *t = NULL;
	if (fd < 0 || cgroup_read(fd, file, &t, NULL) < 0)
		return NULL;
	return t;
}

static uint64_t v1_limit(uint64_t v)
{
	return v >= V1_UNLIMITED_FLOOR ? CAPSA_CGROUP_UNLIMITED : v;
}

int cgroup_v1_stats(struct capsa_cgroup *cg, struct capsa_cgroup_stats *st, struct capsa_error **err)
{
	struct cg_dir *d;
	if ((d = cgroup_v1_dir(cg, "cpuacct"))) {
		read_value(d->fd, "cpuacct.usage", &st->cpu_usage_ns);
		_cleanup_free_ char *t = read_text(d->fd, "cpuacct.stat");
		long hz = sysconf(_SC_CLK_TCK);
		uint64_t u = 0, s = 0;
		if (t && hz > 0 && cgroup_parse_keyed(t, "user", &u) == 0 &&
		    cgroup_parse_keyed(t, "system", &s) == 0) {
			st->cpu_user_ns = u * (1000000000ULL / (uint64_t)hz);
			st->cpu_system_ns = s * (1000000000ULL / (uint64_t)hz);
		}
	}
	if ((d = cgroup_v1_dir(cg, "cpu"))) {
		_cleanup_free_ char *t = read_text(d->fd, "cpu.stat");
		if (t) {
			cgroup_parse_keyed(t, "nr_periods", &st->cpu_nr_periods);
			cgroup_parse_keyed(t, "nr_throttled", &st->cpu_nr_throttled);
			cgroup_parse_keyed(t, "throttled_time", &st->cpu_throttled_ns);
		}
	}
	if ((d = cgroup_v1_dir(cg, "memory"))) {
		uint64_t memsw = 0, memsw_limit = 0;
		read_value(d->fd, "memory.usage_in_bytes", &st->mem_usage);
		read_value(d->fd, "memory.max_usage_in_bytes", &st->mem_max_usage);
		read_value(d->fd, "memory.limit_in_bytes", &st->mem_limit);
		st->mem_limit = v1_limit(st->mem_limit);
		read_value(d->fd, "memory.memsw.usage_in_bytes", &memsw);
		read_value(d->fd, "memory.memsw.limit_in_bytes", &memsw_limit);
		st->mem_swap_usage = memsw > st->mem_usage ? memsw - st->mem_usage : 0;
		/* Swap alone, as v2 reports it: v1 counts memory plus swap. */
		memsw_limit = memsw_limit ? v1_limit(memsw_limit) : CAPSA_CGROUP_UNLIMITED;
		if (memsw_limit != CAPSA_CGROUP_UNLIMITED && st->mem_limit != CAPSA_CGROUP_UNLIMITED)
			st->mem_swap_limit = memsw_limit > st->mem_limit ? memsw_limit - st->mem_limit : 0;
		_cleanup_free_ char *ms = read_text(d->fd, "memory.stat");
		if (ms) {
			if (cgroup_parse_keyed(ms, "total_cache", &st->mem_cache) < 0)
				cgroup_parse_keyed(ms, "cache", &st->mem_cache);
			if (cgroup_parse_keyed(ms, "total_rss", &st->mem_rss) < 0)
				cgroup_parse_keyed(ms, "rss", &st->mem_rss);
		}
		_cleanup_free_ char *oc = read_text(d->fd, "memory.oom_control");
		/* v1 only counts kills. */
		if (oc && cgroup_parse_keyed(oc, "oom_kill", &st->oom_kill_events) == 0)
			st->oom_events = st->oom_kill_events;
	}
	if ((d = cgroup_v1_dir(cg, "pids"))) {
		read_value(d->fd, "pids.current", &st->pids_current);
		read_value(d->fd, "pids.max", &st->pids_limit);
	}
	if ((d = cgroup_v1_dir(cg, "blkio"))) {
		_cleanup_free_ char *b = read_text(d->fd, "blkio.throttle.io_service_bytes_recursive");
		if (b == NULL)
			b = read_text(d->fd, "blkio.throttle.io_service_bytes");
		_cleanup_free_ char *o = read_text(d->fd, "blkio.throttle.io_serviced_recursive");
		if (o == NULL)
			o = read_text(d->fd, "blkio.throttle.io_serviced");
		if (b)
			cgroup_parse_blkio(b, &st->io_read_bytes, &st->io_write_bytes);
		if (o)
			cgroup_parse_blkio(o, &st->io_read_ops, &st->io_write_ops);
	}
	(void)err;
	return 0;
}

int cgroup_v2_stats(struct cg_dir *d, struct capsa_cgroup_stats *st, struct capsa_error **err)
{
	_cleanup_free_ char *cpu = read_text(d->fd, "cpu.stat");
	if (cpu == NULL)
		return capsa_error_errno(err, "cgroup: read %s/cpu.stat", d->dir);
	uint64_t v;
	if (cgroup_parse_keyed(cpu, "usage_usec", &v) == 0)
		st->cpu_usage_ns = v * 1000;
	if (cgroup_parse_keyed(cpu, "user_usec", &v) == 0)
		st->cpu_user_ns = v * 1000;
	if (cgroup_parse_keyed(cpu, "system_usec", &v) == 0)
		st->cpu_system_ns = v * 1000;
	cgroup_parse_keyed(cpu, "nr_periods", &st->cpu_nr_periods);
	cgroup_parse_keyed(cpu, "nr_throttled", &st->cpu_nr_throttled);
	if (cgroup_parse_keyed(cpu, "throttled_usec", &v) == 0)
		st->cpu_throttled_ns = v * 1000;

	st->mem_limit = st->mem_swap_limit = st->pids_limit = CAPSA_CGROUP_UNLIMITED;
	read_value(d->fd, "memory.current", &st->mem_usage);
	read_value(d->fd, "memory.peak", &st->mem_max_usage);
	read_value(d->fd, "memory.max", &st->mem_limit);
	read_value(d->fd, "memory.swap.current", &st->mem_swap_usage);
	read_value(d->fd, "memory.swap.max", &st->mem_swap_limit);
	_cleanup_free_ char *ms = read_text(d->fd, "memory.stat");
	if (ms) {
		cgroup_parse_keyed(ms, "file", &st->mem_cache);
		cgroup_parse_keyed(ms, "anon", &st->mem_rss);
	}
	_cleanup_free_ char *ev = read_text(d->fd, "memory.events");
	if (ev) {
		cgroup_parse_keyed(ev, "oom", &st->oom_events);
		cgroup_parse_keyed(ev, "oom_kill", &st->oom_kill_events);
	}
	read_value(d->fd, "pids.current", &st->pids_current);
	read_value(d->fd, "pids.max", &st->pids_limit);
	_cleanup_free_ char *io = read_text(d->fd, "io.stat");
	if (io)
		cgroup_parse_io_stat(io, &st->io_read_bytes, &st->io_write_bytes, &st->io_read_ops,
				     &st->io_write_ops);
	return 0;
}

int capsa_cgroup_stats(struct capsa_cgroup *cg, struct capsa_cgroup_stats *st, struct capsa_error **err)
{
	memset(st, 0, sizeof(*st));
	if (cg->mode == CAPSA_CGROUP_UNIFIED) {
		struct cg_dir *d = cgroup_v2_dir(cg);
		if (d == NULL)
			return capsa_error_set(err, ENOENT, "cgroup %s does not exist", cg->path);
		return cgroup_v2_stats(d, st, err);
	}
	st->mem_limit = st->mem_swap_limit = st->pids_limit = CAPSA_CGROUP_UNLIMITED;
	return cgroup_v1_stats(cg, st, err);
}
