/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine/: container records and states survive a write and read back; bad documents are refused. */
#define _GNU_SOURCE
#include "common/cleanup.h"
#include "common/util.h"
#include "engine/internal.h"
#include "tests/unit/tap.h"

#include <stdlib.h>
#include <string.h>

static void record_round_trip(void)
{
	struct capsa_ctr *c = xzalloc(sizeof(*c));
	c->id = xstrdup("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	c->name = xstrdup("web \"quoted\"");
	c->image = xstrdup("busybox");
	c->args = capsa_strv_dup((char *[]){"sh", "-c", "echo 'x'\n"}, 3);
	c->n_args = 3;
	c->tty = true;
	c->auto_remove = true;
	c->init = true;
	c->restart = CAPSA_RESTART_ON_FAILURE;
	c->restart_max = 4;
	c->memory = 1LL << 33;
	c->timeout_ns = 1500000000;
	c->labels = xcalloc(1, sizeof(*c->labels));
	c->labels[0] = (struct capsa_kv){xstrdup("k"), xstrdup("v=1")};
	c->n_labels = 1;
	c->mounts = xcalloc(1, sizeof(*c->mounts));
	c->mounts[0] = (struct capsa_mount_spec){.kind = CAPSA_MOUNT_TMPFS,
						 .destination = xstrdup("/t"),
						 .tmpfs_size = 4096,
						 .tmpfs_mode = 01777};
	c->n_mounts = 1;
	c->status = CAPSA_CTR_EXITED;
	c->exit_code = 137;
	c->oom_killed = true;
	c->restart_count = 2;
	c->monitor_pid = 42;
	c->monitor_start = 123456789;
	_cleanup_free_ char *rec = ctr_record_json(c);
	_cleanup_free_ char *st = ctr_state_json(c);
	struct capsa_ctr *d = xzalloc(sizeof(*d));
	struct capsa_error *err = NULL;
	ok(ctr_record_parse(rec, d, &err) == 0, "record parses back");
	ok(ctr_state_parse(st, d, &err) == 0, "state parses back");
	is_str(d->id, c->id, "id");
	is_str(d->name, c->name, "name with quotes");
	is_int(d->n_args, 3, "args count");
	is_str(d->args[2], "echo 'x'\n", "arg with a newline");
	ok(d->tty && d->auto_remove && !d->read_only && d->init, "booleans");
	is_int(d->restart, CAPSA_RESTART_ON_FAILURE, "restart policy");
	is_int(d->restart_max, 4, "restart max");
	is_int(d->memory, 1LL << 33, "memory (64-bit)");
	is_int(d->timeout_ns, 1500000000, "timeout");
	ok(d->n_labels == 1 && strcmp(d->labels[0].value, "v=1") == 0, "labels");
	ok(d->n_mounts == 1 && d->mounts[0].kind == CAPSA_MOUNT_TMPFS && d->mounts[0].tmpfs_mode == 01777,
	   "mounts");
	is_int(d->status, CAPSA_CTR_EXITED, "status");
	is_int(d->exit_code, 137, "exit code");
	ok(d->oom_killed, "oom");
	is_int(d->restart_count, 2, "restart count");
	is_int(d->monitor_start, 123456789, "monitor start time");
	capsa_ctr_free(c);
	capsa_ctr_free(d);
}

static void bad_documents(void)
{
	static const char *const bad_rec[] = {"", "[]", "{", "{\"id\":\"x\"}", "{\"name\":\"x\"}", "null"};
	for (size_t i = 0; i < ARRAY_SIZE(bad_rec); i++) {
		struct capsa_ctr *d = xzalloc(sizeof(*d));
		struct capsa_error *err = NULL;
		ok(ctr_record_parse(bad_rec[i], d, &err) < 0 && err, "bad record %zu refused", i);
		capsa_error_free(err);
		capsa_ctr_free(d);
	}
	static const char *const bad_state[] = {"", "{}", "{\"status\":\"flying\"}", "{\"status\":3}", "[1]"};
	for (size_t i = 0; i < ARRAY_SIZE(bad_state); i++) {
		struct capsa_ctr *d = xzalloc(sizeof(*d));
		struct capsa_error *err = NULL;
		ok(ctr_state_parse(bad_state[i], d, &err) < 0 && err, "bad state %zu refused", i);
		capsa_error_free(err);
		capsa_ctr_free(d);
	}
	/* Wrong types are ignored field by field, not trusted. */
	struct capsa_ctr *d = xzalloc(sizeof(*d));
	struct capsa_error *err = NULL;
	ok(ctr_record_parse(
		   "{\"id\":\"a\",\"name\":\"b\",\"args\":[1,\"x\"],\"memory\":\"lots\",\"tty\":\"yes\"}", d,
		   &err) == 0,
	   "record with wrong field types parses");
	ok(d->n_args == 1 && strcmp(d->args[0], "x") == 0 && d->memory == 0 && !d->tty,
	   "wrong types dropped");
	capsa_ctr_free(d);
	capsa_error_free(err);
}

static void exit_codes(void)
{
	struct capsa_error e1 = {0, (char *)"create x: exec: \"nosuch\": executable file not found in $PATH"};
	struct capsa_error e2 = {13, (char *)"start x: exec: \"/etc/passwd\""};
	struct capsa_error e3 = {2, (char *)"create x: exec: \"/nope\""};
	struct capsa_error e4 = {1, (char *)"create x: rootfs: mount /proc"};
	is_int(exec_error_code(&e1), 127, "not found in PATH: 127");
	is_int(exec_error_code(&e2), 126, "permission denied: 126");
	is_int(exec_error_code(&e3), 127, "ENOENT path: 127");
	is_int(exec_error_code(&e4), 125, "anything else: 125");
	is_int(exec_error_code(NULL), 125, "no error: 125");
}

int main(void)
{
	record_round_trip();
	bad_documents();
	exit_codes();
	return tap_done();
}
