/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The runtime spec speaks v1; these map its values onto v2 knobs the way crun and runc do. */
#define _GNU_SOURCE
#include "cgroups/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

uint64_t capsa_cgroup_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	/* Maps [2, 262144] linearly onto [1, 10000]; out-of-range shares are clamped first. */
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t capsa_cgroup_blkio_to_io_weight(uint64_t weight)
{
	if (weight == 0)
		return 0;
	/* Maps [10, 1000] onto [1, 10000]. */
	if (weight < 10)
		weight = 10;
	if (weight > 1000)
		weight = 1000;
	return 1 + ((weight - 10) * 9999) / 990;
}

int capsa_cgroup_swap_to_v2(int64_t limit, bool limit_set, int64_t swap, int64_t *out,
			    struct capsa_error **err)
{
	if (swap == -1) {
		*out = -1;
		return 0;
	}
	if (swap < 0)
		return capsa_error_set(err, 0, "memory.swap %" PRId64 " is invalid", swap);
	if (!limit_set || limit == -1 || limit == 0)
		return capsa_error_set(err, 0, "memory.swap %" PRId64 " cannot be set without a memory limit",
				       swap);
	if (limit < 0)
		return capsa_error_set(err, 0, "memory.limit %" PRId64 " is invalid", limit);
	if (swap < limit)
		return capsa_error_set(err, 0,
				       "memory.swap %" PRId64 " is below memory.limit %" PRId64
				       " (the spec's swap counts memory plus swap)",
				       swap, limit);
	*out = swap - limit;
	return 0;
}

void capsa_cgroup_cpu_max(bool quota_set, int64_t quota, uint64_t period, char *buf, size_t len)
{
	if (period == 0)
		period = 100000; /* the kernel's default */
	if (!quota_set || quota <= 0)
		snprintf(buf, len, "max %" PRIu64, period);
	else
		snprintf(buf, len, "%" PRId64 " %" PRIu64, quota, period);
}
