/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every input a libFuzzer target (tests/fuzz/) crashed on, replayed as a unit test so the fix stays fixed.
 * Each entry names the target, the date and what went wrong.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "common/util.h"

/* A bug found and fixed: the test names it so a regression says what came back. */
static void regression(int cond, const char *bug, const char *what)
{
	ok(cond, "%s (was: %s)", what, bug);
}

/* fuzz_common, 2026-11-28: " 44" parsed as 44. strtoull skips leading blanks, so the first-character
 * check for a sign is bypassed too (" -1" wraps to UINT64_MAX). */
static void fuzz_common_leading_blank(void)
{
	static const char *inputs[] = {" 44", "\r6", "\t\t0", "\v9", "\n1", " -1", "\f+7"};
	for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
		uint64_t u = 0;
		char what[64];
		snprintf(what, sizeof(what), "capsa_parse_u64 rejects input %zu (leading blank)", i);
		regression(capsa_parse_u64(inputs[i], &u) < 0,
			   "common/util.c capsa_parse_u64 accepts leading blanks", what);
	}
	uint64_t u = 0;
	ok(capsa_parse_u64("44", &u) == 0 && u == 44, "the same number without the blank parses");
}

int main(void)
{
	fuzz_common_leading_blank();
	return tap_done();
}
