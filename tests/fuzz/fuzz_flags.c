/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the CLI's flag values (engine/flags.c): every parser gets the same string, the
 * env-file parser gets it as a file. What a parser accepts must satisfy the documented contract (sizes
 * and durations not negative, mount destinations absolute and not "/", soft <= hard ulimits, detach keys
 * non-empty), so a parser that accepts garbage is a finding too, not only one that crashes.
 */
#include "common/cleanup.h"
#include "common/util.h"
#include "engine/engine.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                          \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "contract broken: %s for \"%s\"\n", #cond, s);                       \
			abort();                                                                             \
		}                                                                                            \
	} while (0)

static void check_mount(const char *s, const struct capsa_mount_spec *m)
{
	CHECK(m->destination && m->destination[0] == '/' && strcmp(m->destination, "/") != 0);
	CHECK(m->kind != CAPSA_MOUNT_TMPFS || m->source == NULL);
	CHECK(m->kind != CAPSA_MOUNT_BIND || (m->source && m->source[0] == '/'));
	CHECK(m->tmpfs_size >= 0);
}

static void one_string(const char *s)
{
	struct capsa_error *err = NULL;
	int64_t v;

	if (capsa_parse_memory(s, &v, &err) == 0)
		CHECK(v >= 0);
	capsa_error_clear(&err);
	if (capsa_parse_duration(s, &v, &err) == 0)
		CHECK(v >= 0);
	capsa_error_clear(&err);
	/* A time: accepted or refused with EINVAL and the reason; a duration is never in the future. */
	const int64_t now = 1795910400LL * 1000000000LL;
	if (capsa_parse_timestamp(s, now, &v, &err) == 0)
		CHECK(err == NULL && (strchr(s, '-') || isdigit((unsigned char)s[0]) || v <= now));
	else
		CHECK(err != NULL && err->errnum == EINVAL);
	capsa_error_clear(&err);
	if (capsa_parse_cpus(s, &v, &err) == 0)
		CHECK(v >= 1000000);
	capsa_error_clear(&err);

	int (*const mount_parsers[])(const char *, struct capsa_mount_spec *, struct capsa_error **) = {
		capsa_parse_volume, capsa_parse_mount, capsa_parse_tmpfs};
	for (size_t i = 0; i < ARRAY_SIZE(mount_parsers); i++) {
		struct capsa_mount_spec m = {0};
		if (mount_parsers[i](s, &m, &err) == 0)
			check_mount(s, &m);
		else
			CHECK(err && err->msg && err->msg[0]);
		capsa_mount_spec_clear(&m);
		capsa_error_clear(&err);
	}

	enum capsa_restart policy;
	int max = -1;
	if (capsa_parse_restart(s, &policy, &max, &err) == 0)
		CHECK(max >= 0 && capsa_restart_name(policy) != NULL);
	capsa_error_clear(&err);

	struct oci_rlimit rl = {0};
	if (capsa_parse_ulimit(s, &rl, &err) == 0)
		CHECK(rl.type && rl.soft <= rl.hard);
	free(rl.type);
	capsa_error_clear(&err);

	char *keys = NULL;
	if (capsa_parse_detach_keys(s, &keys, &err) == 0)
		CHECK(keys && keys[0]);
	free(keys);
	capsa_error_clear(&err);

	if (capsa_container_name_validate(s, &err) == 0)
		CHECK(strlen(s) <= 129 && strchr(s, ':') == NULL && strchr(s + 1, '/') == NULL);
	capsa_error_clear(&err);

	char **env = NULL;
	size_t n = 0;
	if (capsa_parse_env_arg(s, &env, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++)
			CHECK(env[i] && strchr(env[i], '=') != NULL);
	}
	capsa_strv_free(env);
	capsa_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The flags come from argv: NUL-terminated, so a NUL ends the value. */
	char *s = strndup((const char *)data, size);
	if (s == NULL)
		return 0;
	/* Only the first line is a flag value; the whole input is the env file. */
	char *nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		one_string(s);
		*nl = '\n';
	} else {
		one_string(s);
	}

	struct capsa_error *err = NULL;
	char **env = NULL;
	size_t n = 0;
	if (capsa_parse_env_file(s, "fuzz.env", &env, &n, &err) == 0) {
		CHECK(capsa_strv_len(env) == n);
		for (size_t i = 0; i < n; i++)
			CHECK(strchr(env[i], '=') != NULL && strchr(env[i], '\n') == NULL &&
			      env[i][0] != '=');
	} else {
		CHECK(err && strstr(err->msg, "fuzz.env") != NULL);
	}
	capsa_strv_free(env);
	capsa_error_clear(&err);
	free(s);
	return 0;
}
