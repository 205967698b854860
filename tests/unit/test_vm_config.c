// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The micro-VM config block: round trip, the status record, and every kind of malformed block rejected;
 * then the host side of a VM container: the exit code read back from the status disk, and the request
 * that asks UML's management console to stop the guest's processes.
 */
#include "tap.h"
#include "engine/internal.h"
#include "vm/vmconfig.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char buf[CAPSA_VMCFG_SIZE];

/* A block with the given raw payload (n bytes, NULs included). */
static void raw(const char *payload, size_t n)
{
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "CAPSAVM1", 8);
	buf[8] = (char)(n & 0xff);
	buf[9] = (char)((n >> 8) & 0xff);
	memcpy(buf + 12, payload, n);
}

static void rejects(const char *payload, size_t n, const char *want, const char *name)
{
	struct capsa_vmcfg c;
	const char *why = NULL;

	raw(payload, n);
	ok(capsa_vmcfg_decode(buf, sizeof(buf), &c, &why) < 0 && why && strstr(why, want), "rejects %s (%s)",
	   name, why ? why : "accepted");
}

/* A wait status as waitpid gives it. */
#define EXITED(n) ((n) << 8)
#define SIGNALED(s) (s)

static void exit_codes(void)
{
	static char disk[CAPSA_VMCFG_SIZE];
	memset(disk, 0, sizeof(disk));
	ok(engine_vm_exit_code(disk, sizeof(disk), EXITED(0), false) == -1,
	   "a clean UML exit without a status is the guest failing (-1)");
	ok(engine_vm_exit_code(disk, sizeof(disk), SIGNALED(SIGABRT), false) == -1,
	   "a panic (linux.uml SIGABRT) without a status is -1");
	is_int(engine_vm_exit_code(disk, sizeof(disk), SIGNALED(SIGKILL), false), 137,
	       "linux.uml killed by SIGKILL without a status: 137");
	is_int(engine_vm_exit_code(disk, sizeof(disk), EXITED(0), true), 137, "a VM killed by capsa: 137");
	is_int(engine_vm_exit_code(NULL, 0, SIGNALED(SIGKILL), true), 137,
	       "killed, with no disk to read: 137");
	ok(engine_vm_exit_code(NULL, 0, EXITED(0), false) == -1, "no disk to read, not killed: -1");
	const int codes[] = {0, 1, 3, 127, 143, 255};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		capsa_vmcfg_status_format(codes[i], disk + CAPSA_VMCFG_STATUS_OFF);
		is_int(engine_vm_exit_code(disk, sizeof(disk), EXITED(0), false), codes[i],
		       "the guest's status %d is the exit code", codes[i]);
	}
	capsa_vmcfg_status_format(143, disk + CAPSA_VMCFG_STATUS_OFF);
	is_int(engine_vm_exit_code(disk, sizeof(disk), SIGNALED(SIGKILL), true), 143,
	       "a status written before the kill wins");
	ok(engine_vm_exit_code(disk, CAPSA_VMCFG_SIZE - 1, EXITED(0), false) == -1,
	   "a disk read back short has no status");
	memcpy(disk + CAPSA_VMCFG_STATUS_OFF, "CAPSAEX1 999\n", 13);
	ok(engine_vm_exit_code(disk, sizeof(disk), EXITED(0), false) == -1,
	   "a malformed status is no status");
}

static void mconsole(void)
{
	char req[600];
	uint32_t v[3];
	ssize_t n = engine_vm_mconsole_request("sysrq e", req, sizeof(req));
	is_int((int)n, 12 + 512, "a request is the header and 512 bytes of data");
	memcpy(v, req, sizeof(v));
	ok(v[0] == 0xcafebabe && v[1] == 2 && v[2] == 7, "magic, version 2, the command's length");
	ok(memcmp(req + 12, "sysrq e", 7) == 0, "the command follows the header");
	char cmd[513];
	memset(cmd, 'x', sizeof(cmd));
	cmd[511] = '\0';
	ok(engine_vm_mconsole_request(cmd, req, sizeof(req)) > 0, "511 bytes fit");
	cmd[511] = 'x';
	cmd[512] = '\0';
	ok(engine_vm_mconsole_request(cmd, req, sizeof(req)) == -1,
	   "512 bytes do not (UML terminates in place)");
	ok(engine_vm_mconsole_request("sysrq e", req, 100) == -1, "a buffer too small is refused");
}

int main(void)
{
	char *argv[] = {"sh", "-c", "echo 'a b'\n\"q\"", NULL};
	char *env[] = {"PATH=/bin", "EMPTY=", NULL};
	struct capsa_vmcfg in = {.argv = argv,
				 .argc = 3,
				 .env = env,
				 .n_env = 2,
				 .cwd = "/srv",
				 .uid = 1000,
				 .gid = 4294967295u,
				 .hostname = "capsa-test",
				 .tty = true};
	struct capsa_vmcfg out;
	const char *why = NULL;

	ok(capsa_vmcfg_encode(&in, buf, &why) == 0, "encodes");
	ok(capsa_vmcfg_decode(buf, sizeof(buf), &out, &why) == 0, "decodes");
	is_int((int)out.argc, 3, "three arguments");
	is_str(out.argv[2], argv[2], "an argument with quotes, spaces and a newline is kept byte for byte");
	ok(out.argv[3] == NULL, "argv is NULL-terminated");
	is_int((int)out.n_env, 2, "two env entries");
	is_str(out.env[1], "EMPTY=", "an empty value is kept");
	is_str(out.cwd, "/srv", "cwd");
	ok(out.uid == 1000 && out.gid == 4294967295u, "uid and the largest gid");
	is_str(out.hostname, "capsa-test", "hostname");
	ok(out.tty, "tty");
	capsa_vmcfg_free(&out);

	/* Defaults: no env gets a PATH, no cwd is /. */
	struct capsa_vmcfg min = {.argv = argv, .argc = 1};
	ok(capsa_vmcfg_encode(&min, buf, &why) == 0 && capsa_vmcfg_decode(buf, sizeof(buf), &out, &why) == 0,
	   "a bare command round-trips");
	ok(out.n_env == 1 && strncmp(out.env[0], "PATH=", 5) == 0, "a default PATH");
	is_str(out.cwd, "/", "a default cwd");
	ok(!out.tty && !out.hostname && out.uid == 0, "no tty, no hostname, root");
	capsa_vmcfg_free(&out);

	/* Encoding refuses what the guest could not use. */
	struct capsa_vmcfg bad = in;
	bad.argc = 0;
	ok(capsa_vmcfg_encode(&bad, buf, &why) < 0 && strstr(why, "no command"), "encode: no command");
	bad = in;
	bad.cwd = "srv";
	ok(capsa_vmcfg_encode(&bad, buf, &why) < 0 && strstr(why, "not absolute"), "encode: relative cwd");
	char *noeq[] = {"NOEQUALS", NULL};
	bad = in;
	bad.env = noeq;
	bad.n_env = 1;
	ok(capsa_vmcfg_encode(&bad, buf, &why) < 0 && strstr(why, "'='"), "encode: env without =");
	char *big = malloc(70000);
	memset(big, 'x', 69999);
	big[69999] = '\0';
	char *bigv[] = {big, NULL};
	bad = in;
	bad.argv = bigv;
	bad.argc = 1;
	ok(capsa_vmcfg_encode(&bad, buf, &why) < 0 && strstr(why, "larger"), "encode: too large");
	free(big);

	/* Decoding rejects every malformed block. */
	memset(buf, 0, sizeof(buf));
	ok(capsa_vmcfg_decode(buf, sizeof(buf), &out, &why) < 0 && strstr(why, "magic"),
	   "rejects a blank disk");
	ok(capsa_vmcfg_decode(buf, 5, &out, &why) < 0, "rejects a short block");
	raw("ash\0", 4);
	buf[10] = 1; /* length 65540 */
	ok(capsa_vmcfg_decode(buf, sizeof(buf), &out, &why) < 0 && strstr(why, "length"),
	   "rejects a huge length");
	raw("ash\0", 4);
	ok(capsa_vmcfg_decode(buf, 14, &out, &why) < 0 && strstr(why, "length"),
	   "rejects a length past the data read");
	rejects("ash\0u0:0", 8, "not terminated", "an unterminated record");
	rejects("", 0, "not terminated", "an empty payload");
	rejects("ash\0u0:0\0xfoo\0", 14, "unknown", "an unknown record");
	rejects("u0:0\0", 5, "no command", "no command");
	rejects("a\0u0:0\0", 7, "no command", "an empty command");
	rejects("ash\0", 4, "no user", "no user");
	rejects("ash\0u0\0", 7, "uid:gid", "a user without gid");
	rejects("ash\0uroot:0\0", 12, "uid:gid", "a user name");
	rejects("ash\0u4294967296:0\0", 18, "uid:gid", "a uid past 32 bits");
	rejects("ash\0u0:-1\0", 10, "uid:gid", "a negative gid");
	rejects("ash\0u0:0\0wsrv\0", 14, "absolute", "a relative cwd");
	rejects("ash\0u0:0\0w/\0w/\0", 15, "twice", "cwd twice");
	rejects("ash\0u0:0\0eFOO\0", 14, "K=V", "env without =");
	rejects("ash\0u0:0\0e=x\0", 13, "K=V", "env with an empty name");
	rejects("ash\0u0:0\0h\0", 11, "hostname", "an empty hostname");

	/* The status record. */
	char rec[512];
	int code = -1;
	capsa_vmcfg_status_format(137, rec);
	ok(capsa_vmcfg_status_parse(rec, sizeof(rec), &code) == 0 && code == 137, "status 137 round-trips");
	memset(rec, 0, sizeof(rec));
	ok(capsa_vmcfg_status_parse(rec, sizeof(rec), &code) < 0, "no status on a blank sector");
	ok(capsa_vmcfg_status_parse("CAPSAEX1 256\n", 13, &code) < 0, "status above 255 rejected");
	ok(capsa_vmcfg_status_parse("CAPSAEX1 12", 11, &code) < 0, "unterminated status rejected");
	ok(capsa_vmcfg_status_parse("CAPSAEX1 \n", 10, &code) < 0, "empty status rejected");
	ok(capsa_vmcfg_status_parse("CAPSAEX1 -1\n", 12, &code) < 0, "negative status rejected");
	ok(capsa_vmcfg_status_parse("CAPSAEX1 abc\n", 13, &code) < 0, "non-numeric status rejected");

	/* An env value holding '=' round-trips. */
	char *eqenv[] = {"X=1=2", NULL};
	struct capsa_vmcfg eq = {.argv = argv, .argc = 1, .env = eqenv, .n_env = 1};
	ok(capsa_vmcfg_encode(&eq, buf, &why) == 0 && capsa_vmcfg_decode(buf, sizeof(buf), &out, &why) == 0 &&
		   out.n_env == 1 && strcmp(out.env[0], "X=1=2") == 0,
	   "an env value with '=' is kept");
	capsa_vmcfg_free(&out);

	exit_codes();
	mconsole();
	return tap_done();
}
