/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the micro-VM config/status disk (vm/vmconfig.c). The guest owns that disk once it
 * runs, so the host's status parser reads hostile bytes; the config decoder is the guest init's, but the
 * same code. Besides memory safety: a decoded config encodes and decodes again to the same fields, and a
 * parsed status formats back to a record that parses to the same code.
 */
#include "vm/vmconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_vm_vmconfig: %s\n", what);
	abort();
}

static int same_strv(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return a[na] == NULL && b[nb] == NULL;
}

static void round_trip(const struct capsa_vmcfg *c)
{
	char *buf = malloc(CAPSA_VMCFG_SIZE);
	const char *why = NULL;
	struct capsa_vmcfg d;
	if (!buf)
		abort();
	/* What the decoder accepted came from at most CAPSA_VMCFG_MAX bytes, so it fits again. */
	if (capsa_vmcfg_encode(c, buf, &why) < 0) {
		fprintf(stderr, "encode: %s\n", why ? why : "?");
		fail("a decoded config does not encode");
	}
	if (capsa_vmcfg_decode(buf, CAPSA_VMCFG_SIZE, &d, &why) < 0) {
		fprintf(stderr, "decode: %s\n", why ? why : "?");
		fail("an encoded config does not decode");
	}
	if (!same_strv(c->argv, c->argc, d.argv, d.argc) || !same_strv(c->env, c->n_env, d.env, d.n_env) ||
	    strcmp(c->cwd, d.cwd) != 0 || c->uid != d.uid || c->gid != d.gid || c->tty != d.tty ||
	    c->net != d.net ||
	    (c->net &&
	     (c->net_addr != d.net_addr || c->net_gw != d.net_gw || c->net_prefix != d.net_prefix)) ||
	    (c->hostname == NULL) != (d.hostname == NULL) ||
	    (c->hostname && strcmp(c->hostname, d.hostname) != 0))
		fail("config changed through encode/decode");
	capsa_vmcfg_free(&d);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The status record: any 512 bytes the guest left. */
	int code;
	size_t slen = size < 512 ? size : 512;
	if (capsa_vmcfg_status_parse((const char *)data, slen, &code) == 0) {
		if (code < 0 || code > 255)
			fail("status parsed to a code outside 0..255");
		char rec[512];
		int again;
		capsa_vmcfg_status_format(code, rec);
		if (capsa_vmcfg_status_parse(rec, sizeof(rec), &again) < 0 || again != code)
			fail("status does not survive format/parse");
	}

	/* The config block: the input at the start of a zeroed disk-sized buffer, and alone at its length. */
	char *disk = calloc(1, CAPSA_VMCFG_SIZE);
	if (!disk)
		abort();
	memcpy(disk, data, size < CAPSA_VMCFG_SIZE ? size : CAPSA_VMCFG_SIZE);
	const char *why = NULL;
	struct capsa_vmcfg c;
	if (capsa_vmcfg_decode(disk, CAPSA_VMCFG_SIZE, &c, &why) == 0) {
		if (c.argc == 0 || c.argv == NULL || c.cwd == NULL)
			fail("decoded config without argv or cwd");
		round_trip(&c);
		capsa_vmcfg_free(&c);
	} else if (why == NULL) {
		fail("decode failed without a reason");
	}
	free(disk);
	char *exact = malloc(size ? size : 1);
	if (!exact)
		abort();
	memcpy(exact, data, size);
	if (capsa_vmcfg_decode(exact, size, &c, &why) == 0)
		capsa_vmcfg_free(&c);
	free(exact);
	return 0;
}
