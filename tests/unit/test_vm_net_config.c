/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The micro-VM config block's network record: round trip, and every malformed or unusable one refused. */
#define _GNU_SOURCE
#include "vm/vmconfig.h"
#include "tests/unit/tap.h"

#include <stdlib.h>
#include <string.h>

static char buf[CAPSA_VMCFG_SIZE];

static void parse_good(const char *v, uint32_t addr, unsigned prefix, uint32_t gw)
{
	uint32_t a = 0, g = 0;
	unsigned p = 0;
	const char *why = NULL;
	int r = capsa_vmcfg_net_parse(v, &a, &p, &g, &why);
	ok(r == 0 && a == addr && p == prefix && g == gw, "\"%s\" parses (%s)", v, why ? why : "ok");
}

static void parse_bad(const char *v, const char *reason)
{
	uint32_t a, g;
	unsigned p;
	const char *why = NULL;
	int r = capsa_vmcfg_net_parse(v, &a, &p, &g, &why);
	ok(r == -1 && why && strstr(why, reason), "\"%s\" refused: %s (got %s)", v, reason, why ? why : "-");
}

/* A block whose only unusual record is n with value v, built by hand as a hostile host could. */
static int decode_with(const char *v, const char **why)
{
	static const char head[] = "CAPSAVM1";
	memset(buf, 0, sizeof(buf));
	size_t off = 12;
	const char *recs[] = {"a/bin/true", "u0:0", NULL};
	for (int i = 0; recs[i]; i++) {
		memcpy(buf + off, recs[i], strlen(recs[i]) + 1);
		off += strlen(recs[i]) + 1;
	}
	buf[off++] = 'n';
	memcpy(buf + off, v, strlen(v) + 1);
	off += strlen(v) + 1;
	memcpy(buf, head, 8);
	uint32_t n = (uint32_t)(off - 12);
	for (int i = 0; i < 4; i++)
		buf[8 + i] = (char)(n >> (8 * i));
	struct capsa_vmcfg c;
	int r = capsa_vmcfg_decode(buf, sizeof(buf), &c, why);
	if (r == 0)
		capsa_vmcfg_free(&c);
	return r;
}

int main(void)
{
	parse_good("10.88.0.5/16 10.88.0.1", 0x0a580005, 16, 0x0a580001);
	parse_good("192.168.7.2/30 192.168.7.1", 0xc0a80702, 30, 0xc0a80701);
	parse_good("10.0.0.2/8 10.255.255.254", 0x0a000002, 8, 0x0afffffe);

	const char *form = "not A.B.C.D/P G.H.I.J";
	parse_bad("", form);
	parse_bad("10.88.0.5", form);
	parse_bad("10.88.0.5/16", form);
	parse_bad("10.88.0.5/ 10.88.0.1", form);
	parse_bad("10.88.0.5/016x 10.88.0.1", form);
	parse_bad("10.88.0.5/160 10.88.0.1", form);
	parse_bad("10.88.0/16 10.88.0.1", form);
	parse_bad("10.88.0.256/16 10.88.0.1", form);
	parse_bad("10.88.0.0005/16 10.88.0.1", form);
	parse_bad("10.88.0.5/16 10.88.0.1 ", form);
	parse_bad("10.88.0.5/16 10.88.0.1x", form);
	parse_bad("10.88.0.5/16  10.88.0.1", form);
	parse_bad("-10.88.0.5/16 10.88.0.1", form);
	parse_bad("10.88.0.5/7 10.88.0.1", "prefix is not 8..30");
	parse_bad("10.88.0.5/31 10.88.0.4", "prefix is not 8..30");
	parse_bad("10.88.0.5/16 10.89.0.1", "not in the address's subnet");
	parse_bad("10.88.0.0/16 10.88.0.1", "network or broadcast");
	parse_bad("10.88.255.255/16 10.88.0.1", "network or broadcast");
	parse_bad("10.88.0.5/16 10.88.255.255", "network or broadcast");
	parse_bad("10.88.0.5/16 10.88.0.5", "is the gateway's");

	/* Round trip through the whole block. */
	char *argv[] = {"/bin/ip", "addr", NULL};
	struct capsa_vmcfg c = {.argv = argv,
				.argc = 2,
				.net = true,
				.net_addr = 0x0a580005,
				.net_prefix = 16,
				.net_gw = 0x0a580001};
	const char *why = NULL;
	ok(capsa_vmcfg_encode(&c, buf, &why) == 0, "a config with a network encodes");
	ok(memmem(buf, CAPSA_VMCFG_MAX, "n10.88.0.5/16 10.88.0.1", 24) != NULL,
	   "as the record n10.88.0.5/16 10.88.0.1");
	struct capsa_vmcfg d;
	int r = capsa_vmcfg_decode(buf, sizeof(buf), &d, &why);
	ok(r == 0 && d.net && d.net_addr == 0x0a580005 && d.net_prefix == 16 && d.net_gw == 0x0a580001,
	   "and decodes to the same address, prefix and gateway");
	if (r == 0)
		capsa_vmcfg_free(&d);
	c.net = false;
	ok(capsa_vmcfg_encode(&c, buf, &why) == 0 && capsa_vmcfg_decode(buf, sizeof(buf), &d, &why) == 0 &&
		   !d.net,
	   "no network: no record, net false");
	capsa_vmcfg_free(&d);
	c.net = true;
	c.net_gw = 0x0b000001;
	why = NULL;
	ok(capsa_vmcfg_encode(&c, buf, &why) == -1 && why && strstr(why, "not in the address's subnet"),
	   "an unusable network is refused at encoding too");

	ok(decode_with("10.88.0.5/16 10.88.0.1", &why) == 0,
	   "a hand-made block with a network record decodes");
	ok(decode_with("10.88.0.5/16", &why) == -1 && strstr(why, "network record"),
	   "a malformed network record fails the whole block");
	/* Two n records. */
	memset(buf, 0, sizeof(buf));
	const char blk[] = "a/bin/true\0u0:0\0n10.88.0.5/16 10.88.0.1\0n10.88.0.6/16 10.88.0.1";
	memcpy(buf, "CAPSAVM1", 8);
	memcpy(buf + 12, blk, sizeof(blk));
	buf[8] = (char)sizeof(blk);
	struct capsa_vmcfg e;
	ok(capsa_vmcfg_decode(buf, sizeof(buf), &e, &why) == -1 && strstr(why, "given twice"),
	   "a second network record is refused");
	return tap_done();
}
