/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The micro-VM config block's /etc/hosts and /etc/resolv.conf records (H and R): the files' text survives
 * the round trip byte for byte, an empty resolv.conf (--network none) stays empty rather than absent, and
 * a hostile block with a record twice or cut short is refused.
 */
#define _GNU_SOURCE
#include "vm/vmconfig.h"
#include "tests/unit/tap.h"

#include <stdlib.h>
#include <string.h>

static char buf[CAPSA_VMCFG_SIZE];

/* A block of the given records (each "<tag><value>", NUL-separated, len bytes), as a hostile host could. */
static int decode_raw(const char *recs, size_t len, struct capsa_vmcfg *out, const char **why)
{
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "CAPSAVM1", 8);
	memcpy(buf + 12, recs, len);
	for (int i = 0; i < 4; i++)
		buf[8 + i] = (char)((uint32_t)len >> (8 * i));
	return capsa_vmcfg_decode(buf, sizeof(buf), out, why);
}

int main(void)
{
	char *argv[] = {"/bin/cat", "/etc/hosts", NULL};
	const char *hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
			    "10.88.0.5\tweb capsa-test-a\n";
	const char *resolv = "# from the host\nnameserver 192.0.2.53\nsearch example.org\noptions ndots:2\n";
	struct capsa_vmcfg c = {.argv = argv,
				.argc = 2,
				.hostname = "web",
				.etc_hosts = (char *)hosts,
				.etc_resolv = (char *)resolv};
	const char *why = NULL;
	ok(capsa_vmcfg_encode(&c, buf, &why) == 0, "a config with /etc/hosts and resolv.conf encodes");
	ok(memmem(buf, CAPSA_VMCFG_MAX, "H127.0.0.1\tlocalhost\n", 21) != NULL, "hosts as an H record");
	ok(memmem(buf, CAPSA_VMCFG_MAX, "R# from the host\n", 17) != NULL, "resolv.conf as an R record");
	struct capsa_vmcfg d;
	int r = capsa_vmcfg_decode(buf, sizeof(buf), &d, &why);
	ok(r == 0 && d.etc_hosts && !strcmp(d.etc_hosts, hosts), "hosts decodes byte for byte");
	ok(r == 0 && d.etc_resolv && !strcmp(d.etc_resolv, resolv), "resolv.conf decodes byte for byte");
	ok(r == 0 && d.hostname && !strcmp(d.hostname, "web"), "the hostname beside them");
	if (r == 0)
		capsa_vmcfg_free(&d);

	c.etc_resolv = "";
	r = capsa_vmcfg_encode(&c, buf, &why) == 0 ? capsa_vmcfg_decode(buf, sizeof(buf), &d, &why) : -1;
	ok(r == 0 && d.etc_resolv && d.etc_resolv[0] == '\0', "an empty resolv.conf stays empty, not absent");
	if (r == 0)
		capsa_vmcfg_free(&d);

	c.etc_hosts = c.etc_resolv = NULL;
	r = capsa_vmcfg_encode(&c, buf, &why) == 0 ? capsa_vmcfg_decode(buf, sizeof(buf), &d, &why) : -1;
	ok(r == 0 && !d.etc_hosts && !d.etc_resolv, "without them: no records, the image's files are kept");
	ok(memchr(buf + 12, 'H', 64) == NULL, "and no H record in the block");
	if (r == 0)
		capsa_vmcfg_free(&d);

	/* A resolv.conf that does not fit in the block is refused at encoding with the reason. */
	char *big = malloc(CAPSA_VMCFG_MAX);
	memset(big, '#', CAPSA_VMCFG_MAX - 1);
	big[CAPSA_VMCFG_MAX - 1] = '\0';
	c.etc_resolv = big;
	why = NULL;
	ok(capsa_vmcfg_encode(&c, buf, &why) == -1 && why && strstr(why, "larger than 60 KiB"),
	   "a resolv.conf larger than the block is refused: %s", why ? why : "-");
	free(big);

	static const char twice_h[] = "a/bin/true\0u0:0\0Ha\0Hb";
	ok(decode_raw(twice_h, sizeof(twice_h), &d, &why) == -1 && strstr(why, "given twice"),
	   "a second H record is refused");
	static const char twice_r[] = "a/bin/true\0u0:0\0Rnameserver 1.1.1.1\0R";
	ok(decode_raw(twice_r, sizeof(twice_r), &d, &why) == -1 && strstr(why, "given twice"),
	   "a second R record (even an empty one) is refused");
	static const char one_each[] = "a/bin/true\0u0:0\0H\0R\0";
	r = decode_raw(one_each, sizeof(one_each) - 1, &d, &why);
	ok(r == 0 && d.etc_hosts && !d.etc_hosts[0] && d.etc_resolv && !d.etc_resolv[0],
	   "one empty H and one empty R decode");
	if (r == 0)
		capsa_vmcfg_free(&d);
	/* An H tag as the block's last byte: no value follows. */
	static const char cut[] = "a/bin/true\0u0:0\0H";
	why = NULL;
	r = decode_raw(cut, sizeof(cut) - 1, &d, &why);
	ok(r == -1 && why && strstr(why, "not terminated"), "an H record cut short is refused (%s)",
	   why ? why : "-");
	return tap_done();
}
