/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The micro-VM config block: a round trip, and malformed blocks a guest init must refuse. */
#include "tap.h"
#include "vm/vmconfig.h"

#include <stdlib.h>
#include <string.h>

static char buf[CAPSA_VMCFG_SIZE];

static void test_round_trip(void)
{
	char *argv[] = {"sh", "-c", "echo 'a b' \"$X\"", NULL};
	char *env[] = {"X=1=2", "PATH=/bin", NULL};
	struct capsa_vmcfg c = {.argv = argv,
				.argc = 3,
				.env = env,
				.n_env = 2,
				.cwd = "/srv",
				.uid = 1000,
				.gid = 100,
				.hostname = "capsa-test",
				.tty = true};
	struct capsa_vmcfg d = {0};
	const char *why = NULL;

	ok(capsa_vmcfg_encode(&c, buf, &why) == 0, "encode: %s", why ? why : "ok");
	ok(capsa_vmcfg_decode(buf, sizeof(buf), &d, &why) == 0, "decode: %s", why ? why : "ok");
	is_int((int)d.argc, 3, "argc");
	if (d.argc == 3) {
		is_str(d.argv[2], argv[2], "argument with quotes and spaces kept as is");
		ok(d.argv[3] == NULL, "argv NULL-terminated");
	}
	is_int((int)d.n_env, 2, "n_env");
	if (d.n_env == 2)
		is_str(d.env[0], "X=1=2", "env value with '='");
	is_str(d.cwd, "/srv", "cwd");
	is_int((int)d.uid, 1000, "uid");
	is_int((int)d.gid, 100, "gid");
	is_str(d.hostname, "capsa-test", "hostname");
	ok(d.tty, "tty");
	capsa_vmcfg_free(&d);
}

static void test_bad(void)
{
	char *argv[] = {"true", NULL};
	struct capsa_vmcfg c = {.argv = argv, .argc = 1, .cwd = "/"};
	struct capsa_vmcfg d = {0};
	const char *why = NULL;
	char *big;

	ok(capsa_vmcfg_encode(&c, buf, &why) == 0, "a minimal config encodes");
	memcpy(buf, "CAPSAVM2", 8);
	why = NULL;
	ok(capsa_vmcfg_decode(buf, sizeof(buf), &d, &why) < 0 && why, "wrong magic refused: %s",
	   why ? why : "-");
	capsa_vmcfg_free(&d);

	capsa_vmcfg_encode(&c, buf, &why);
	buf[8] = (char)0xff, buf[9] = (char)0xff, buf[10] = (char)0xff, buf[11] = 0x7f;
	why = NULL;
	ok(capsa_vmcfg_decode(buf, sizeof(buf), &d, &why) < 0 && why, "length past the block refused: %s",
	   why ? why : "-");
	capsa_vmcfg_free(&d);

	capsa_vmcfg_encode(&c, buf, &why);
	why = NULL;
	ok(capsa_vmcfg_decode(buf, 10, &d, &why) < 0, "truncated block refused");
	capsa_vmcfg_free(&d);

	memset(buf, 0, sizeof(buf));
	why = NULL;
	ok(capsa_vmcfg_decode(buf, sizeof(buf), &d, &why) < 0 && why, "empty disk refused: %s",
	   why ? why : "-");
	capsa_vmcfg_free(&d);

	big = malloc(CAPSA_VMCFG_MAX + 1);
	memset(big, 'x', CAPSA_VMCFG_MAX);
	big[CAPSA_VMCFG_MAX] = '\0';
	argv[0] = big;
	why = NULL;
	ok(capsa_vmcfg_encode(&c, buf, &why) < 0 && why, "an argument bigger than the block refused: %s",
	   why ? why : "-");
	free(big);
}

static void test_status(void)
{
	char rec[512];
	int code = -1;

	capsa_vmcfg_status_format(137, rec);
	ok(capsa_vmcfg_status_parse(rec, sizeof(rec), &code) == 0, "status parses");
	is_int(code, 137, "status 137");
	capsa_vmcfg_status_format(0, rec);
	capsa_vmcfg_status_parse(rec, sizeof(rec), &code);
	is_int(code, 0, "status 0");
	memset(rec, 0, sizeof(rec));
	ok(capsa_vmcfg_status_parse(rec, sizeof(rec), &code) < 0, "no status record");
	memcpy(rec, "CAPSAEX1 abc\n", 13);
	ok(capsa_vmcfg_status_parse(rec, sizeof(rec), &code) < 0, "non-numeric status refused");
}

int main(void)
{
	test_round_trip();
	test_bad();
	test_status();
	return tap_done();
}
