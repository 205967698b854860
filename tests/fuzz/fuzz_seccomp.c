/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the seccomp profile translator: the input is a linux.seccomp object (a profile
 * file as `capsa run --security-opt seccomp=FILE` reads it), parsed by the oci-spec parser, given the
 * capabilities chosen by the input's length, compiled by capsa_seccomp_prepare (never loaded), saved and
 * restored as exec does. A filter that compiles must survive the save/restore with the same notify flag.
 */
#include "common/cleanup.h"
#include "common/util.h"
#include "oci-spec/oci-spec.h"
#include "runtime/seccomp.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int dirfd_ = -1;
static char dir[] = "/tmp/capsa-test-fuzz-seccomp-XXXXXX";

static void cleanup(void)
{
	if (dirfd_ >= 0)
		(void)capsa_rm_rf_at(AT_FDCWD, dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL || (dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		perror("fuzz_seccomp: temp dir");
		abort();
	}
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const caps[] = {"CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_MODULE",
					   "CAP_SYS_TIME",  "CAP_SYSLOG",     "CAP_BPF"};
	struct capsa_error *err = NULL;
	char *json = xasprintf("{\"ociVersion\":\"1.2.0\",\"linux\":{\"seccomp\":%.*s}}", (int)size,
			       (const char *)data);
	struct oci_config *c = NULL;
	if (capsa_oci_config_parse(json, strlen(json), "fuzz-profile.json", &c, &err) < 0 || !c->linux_ ||
	    !c->linux_->seccomp)
		goto out;

	struct oci_seccomp *s = c->linux_->seccomp;
	size_t ncaps = size % (ARRAY_SIZE(caps) + 1);
	if (capsa_seccomp_profile_add_caps(s, (char *const *)caps, ncaps, &err) < 0) {
		fprintf(stderr, "known capabilities refused: %s\n", err->msg);
		abort();
	}
	struct capsa_seccomp *f = NULL;
	if (capsa_seccomp_prepare(s, &f, &err) == 0) {
		struct capsa_seccomp *back = NULL;
		if (capsa_seccomp_save(f, dirfd_, "filter", &err) < 0 ||
		    capsa_seccomp_restore(dirfd_, "filter", &back, &err) < 0) {
			fprintf(stderr, "compiled filter does not survive save/restore: %s\n", err->msg);
			abort();
		}
		if (capsa_seccomp_has_notify(f) != capsa_seccomp_has_notify(back)) {
			fprintf(stderr, "notify flag lost in save/restore\n");
			abort();
		}
		capsa_seccomp_free(back);
		capsa_seccomp_free(f);
	} else if (err == NULL || err->msg == NULL || strncmp(err->msg, "seccomp", 7) != 0) {
		fprintf(stderr, "a refused profile must say seccomp: %s\n", err ? err->msg : "(no error)");
		abort();
	}
out:
	capsa_error_clear(&err);
	capsa_oci_config_free(c);
	free(json);
	return 0;
}
