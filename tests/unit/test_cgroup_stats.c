/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroups: the parsers of stats files, on sample text from v1 and v2 kernels. */
#include "cgroups/internal.h"
#include "tests/unit/tap.h"

static void keyed(void)
{
	const char *cpu_v2 = "usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\nnr_periods 50\n"
			     "nr_throttled 7\nthrottled_usec 9000\nnr_bursts 0\n";
	const char *oom_v1 = "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";
	const char *events = "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n";
	uint64_t v = 99;
	ok(cgroup_parse_keyed(cpu_v2, "usage_usec", &v) == 0 && v == 123456, "usage_usec");
	ok(cgroup_parse_keyed(cpu_v2, "nr_throttled", &v) == 0 && v == 7, "nr_throttled");
	ok(cgroup_parse_keyed(cpu_v2, "nr_bursts", &v) == 0 && v == 0, "last line");
	ok(cgroup_parse_keyed(oom_v1, "oom_kill", &v) == 0 && v == 3, "v1 oom_kill, not oom_kill_disable");
	ok(cgroup_parse_keyed(events, "oom", &v) == 0 && v == 2, "'oom' is not confused with oom_kill");
	ok(cgroup_parse_keyed(events, "oom_kill", &v) == 0 && v == 1, "oom_kill");
	v = 99;
	ok(cgroup_parse_keyed(events, "missing", &v) < 0 && v == 99, "missing key leaves the value alone");
	ok(cgroup_parse_keyed("usage_usec abc\n", "usage_usec", &v) < 0, "non-number is an error");
	ok(cgroup_parse_keyed("usage_usec -5\n", "usage_usec", &v) < 0, "negative is an error");
	ok(cgroup_parse_keyed("usage_usec\n", "usage_usec", &v) < 0, "key without value is not found");
	ok(cgroup_parse_keyed("", "x", &v) < 0, "empty text");
	ok(cgroup_parse_keyed("frozen 1", "frozen", &v) == 0 && v == 1, "no trailing newline");
}

static void values(void)
{
	uint64_t v = 0;
	ok(cgroup_parse_value("4096\n", &v) == 0 && v == 4096, "number with newline");
	ok(cgroup_parse_value("max\n", &v) == 0 && v == CAPSA_CGROUP_UNLIMITED, "max is unlimited");
	ok(cgroup_parse_value("9223372036854771712\n", &v) == 0 && v == 9223372036854771712ULL,
	   "v1 huge value");
	ok(cgroup_parse_value("", &v) < 0, "empty");
	ok(cgroup_parse_value("12 34\n", &v) < 0, "two values");
	ok(cgroup_parse_value("12k\n", &v) < 0, "suffix");
	ok(cgroup_parse_value("99999999999999999999999\n", &v) < 0, "overflow");
	ok(cgroup_parse_value(NULL, &v) < 0, "NULL");
}

static void io(void)
{
	const char *s = "8:0 rbytes=1024 wbytes=2048 rios=3 wios=4 dbytes=0 dios=0\n"
			"253:0 rbytes=1 wbytes=2 rios=5 wios=6 dbytes=0 dios=0\n";
	uint64_t rb = 0, wb = 0, ri = 0, wi = 0;
	ok(cgroup_parse_io_stat(s, &rb, &wb, &ri, &wi) == 0, "io.stat parses");
	ok(rb == 1025 && wb == 2050 && ri == 8 && wi == 10, "io.stat sums devices");
	ok(cgroup_parse_io_stat("", &rb, &wb, &ri, &wi) == 0 && rb == 0 && wi == 0, "empty io.stat is zero");
	ok(cgroup_parse_io_stat("8:0 rbytes=x\n", &rb, &wb, &ri, &wi) < 0, "bad number");
	ok(cgroup_parse_io_stat("rbytes=1\n", &rb, &wb, &ri, &wi) < 0, "missing device");
	ok(cgroup_parse_io_stat("8:0 rbytes\n", &rb, &wb, &ri, &wi) < 0, "missing =");
}

static void blkio(void)
{
	const char *s = "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Discard 0\n"
			"8:0 Total 12288\n8:16 Read 1\n8:16 Write 1\nTotal 12290\n";
	uint64_t r = 0, w = 0;
	ok(cgroup_parse_blkio(s, &r, &w) == 0 && r == 4097 && w == 8193, "blkio Read/Write summed");
	ok(cgroup_parse_blkio("Total 0\n", &r, &w) == 0 && r == 0 && w == 0, "empty blkio");
	ok(cgroup_parse_blkio("8:0 Read\n", &r, &w) < 0, "truncated line");
	ok(cgroup_parse_blkio("8:0 Read x\n", &r, &w) < 0, "bad number");
}

int main(void)
{
	keyed();
	values();
	io();
	blkio();
	return tap_done();
}
