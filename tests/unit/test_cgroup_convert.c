/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroups: the v1-to-v2 conversions of the runtime spec's values. */
#include "cgroups/cgroups.h"
#include "common/cleanup.h"
#include "tests/unit/tap.h"

#include <stdint.h>

static void shares(void)
{
	is_int(capsa_cgroup_shares_to_weight(0), 0, "shares 0 stays unset");
	is_int(capsa_cgroup_shares_to_weight(2), 1, "shares 2 -> weight 1");
	is_int(capsa_cgroup_shares_to_weight(1024), 39, "shares 1024 (default) -> weight 39");
	is_int(capsa_cgroup_shares_to_weight(262144), 10000, "shares 262144 -> weight 10000");
	is_int(capsa_cgroup_shares_to_weight(512), 20, "shares 512 -> weight 20");
	is_int(capsa_cgroup_shares_to_weight(1), 1, "shares below 2 clamp to weight 1");
	is_int(capsa_cgroup_shares_to_weight(1000000), 10000, "shares above 262144 clamp to 10000");
}

static void blkio(void)
{
	is_int(capsa_cgroup_blkio_to_io_weight(0), 0, "blkio weight 0 stays unset");
	is_int(capsa_cgroup_blkio_to_io_weight(10), 1, "blkio 10 -> io 1");
	is_int(capsa_cgroup_blkio_to_io_weight(1000), 10000, "blkio 1000 -> io 10000");
	is_int(capsa_cgroup_blkio_to_io_weight(500), 4950, "blkio 500 -> io 4950");
	is_int(capsa_cgroup_blkio_to_io_weight(5), 1, "blkio below 10 clamps");
}

static void swap(void)
{
	struct capsa_error *e = NULL;
	int64_t out = 42;
	ok(capsa_cgroup_swap_to_v2(100 << 20, true, 300 << 20, &out, &e) == 0 && out == 200 << 20,
	   "swap 300M with limit 100M -> swap.max 200M");
	ok(capsa_cgroup_swap_to_v2(100 << 20, true, 100 << 20, &out, &e) == 0 && out == 0,
	   "swap equal to limit -> no swap");
	ok(capsa_cgroup_swap_to_v2(100 << 20, true, -1, &out, &e) == 0 && out == -1, "swap -1 -> max");
	ok(capsa_cgroup_swap_to_v2(0, false, -1, &out, &e) == 0 && out == -1, "swap -1 without limit -> max");
	ok(e == NULL, "no error so far");

	ok(capsa_cgroup_swap_to_v2(0, false, 100, &out, &e) < 0 && e &&
		   strstr(e->msg, "without a memory limit"),
	   "swap without a limit is refused: %s", e ? e->msg : "");
	capsa_error_clear(&e);
	ok(capsa_cgroup_swap_to_v2(-1, true, 100, &out, &e) < 0 && e,
	   "swap with an unlimited memory is refused");
	capsa_error_clear(&e);
	ok(capsa_cgroup_swap_to_v2(200, true, 100, &out, &e) < 0 && e && strstr(e->msg, "below"),
	   "swap below the limit is refused: %s", e ? e->msg : "");
	capsa_error_clear(&e);
	ok(capsa_cgroup_swap_to_v2(200, true, -5, &out, &e) < 0 && e,
	   "negative swap other than -1 is refused");
	capsa_error_clear(&e);
}

static void cpu_max(void)
{
	char buf[64];
	capsa_cgroup_cpu_max(true, 50000, 100000, buf, sizeof(buf));
	is_str(buf, "50000 100000", "quota and period");
	capsa_cgroup_cpu_max(true, -1, 100000, buf, sizeof(buf));
	is_str(buf, "max 100000", "quota -1 -> max");
	capsa_cgroup_cpu_max(false, 0, 250000, buf, sizeof(buf));
	is_str(buf, "max 250000", "period only -> max with that period");
	capsa_cgroup_cpu_max(true, 20000, 0, buf, sizeof(buf));
	is_str(buf, "20000 100000", "quota without period uses the default period");
}

int main(void)
{
	shares();
	blkio();
	swap();
	cpu_max();
	return tap_done();
}
