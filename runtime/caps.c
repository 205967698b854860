/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Capabilities with libcap, exactly as process.capabilities says. */
#define _GNU_SOURCE
#include "runtime/internal.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

static int cap_value(const char *name, cap_value_t *v)
{
	/* libcap accepts "cap_sys_admin" and "CAP_SYS_ADMIN"; the spec requires the CAP_ prefix. */
	if (strncmp(name, "CAP_", 4) != 0)
		return -1;
	if (cap_from_name(name, v) < 0)
		return -1;
	return 0;
}

bool capsa_cap_known(const char *name)
{
	cap_value_t v;
	return cap_value(name, &v) == 0;
}

int capsa_cap_count(void)
{
	return (int)cap_max_bits();
}

const char *capsa_cap_name(int value)
{
	static char *names[64];
	if (value < 0 || value >= capsa_cap_count() || value >= (int)ARRAY_SIZE(names))
		return NULL;
	if (names[value] == NULL) {
		char *n = cap_to_name((cap_value_t)value);
		if (n == NULL)
			return NULL;
		char *u = xstrdup(n);
		cap_free(n);
		for (char *c = u; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		names[value] = u;
	}
	return names[value];
}

static int check_set(char *const *set, size_t n, const char *which, struct capsa_error **err)
{
	for (size_t i = 0; i < n; i++) {
		cap_value_t v;
		if (cap_value(set[i], &v) < 0)
			return capsa_error_set(err, EINVAL, "process.capabilities.%s: unknown capability %s",
					       which, set[i]);
	}
	return 0;
}

int caps_validate(const struct oci_capabilities *c, struct capsa_error **err)
{
	if (c == NULL)
		return 0;
	if (check_set(c->bounding, c->n_bounding, "bounding", err) < 0 ||
	    check_set(c->effective, c->n_effective, "effective", err) < 0 ||
	    check_set(c->inheritable, c->n_inheritable, "inheritable", err) < 0 ||
	    check_set(c->permitted, c->n_permitted, "permitted", err) < 0 ||
	    check_set(c->ambient, c->n_ambient, "ambient", err) < 0)
		return -1;
	return 0;
}

static bool in_set(char *const *set, size_t n, cap_value_t v)
{
	for (size_t i = 0; i < n; i++) {
		cap_value_t x;
		if (cap_value(set[i], &x) == 0 && x == v)
			return true;
	}
	return false;
}

static cap_value_t last_cap(void)
{
	static cap_value_t last = -1;
	if (last < 0) {
		_cleanup_free_ char *s = NULL;
		struct capsa_error *e = NULL;
		int64_t v;
		if (capsa_read_file_at(-1, "/proc/sys/kernel/cap_last_cap", 64, &s, NULL, &e) == 0) {
			s[strcspn(s, "\n")] = '\0';
			if (capsa_parse_i64(s, &v) == 0)
				last = (cap_value_t)v;
		}
		capsa_error_free(e);
		if (last < 0)
			last = (cap_value_t)cap_max_bits() - 1;
	}
	return last;
}

int caps_apply_bounding(const struct oci_capabilities *c, struct capsa_error **err)
{
	for (cap_value_t v = 0; v <= last_cap(); v++) {
		if (c && in_set(c->bounding, c->n_bounding, v))
			continue;
		if (cap_drop_bound(v) < 0 && errno != EINVAL)
			return capsa_error_errno(err, "drop capability %s from the bounding set",
						 cap_to_name(v));
	}
	return 0;
}

int caps_apply(const struct oci_capabilities *c, struct capsa_error **err)
{
	cap_t caps = cap_init();
	if (caps == NULL)
		return capsa_error_errno(err, "cap_init");
	for (cap_value_t v = 0; c && v <= last_cap(); v++) {
		if (in_set(c->effective, c->n_effective, v))
			cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
		if (in_set(c->permitted, c->n_permitted, v))
			cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET);
		if (in_set(c->inheritable, c->n_inheritable, v))
			cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET);
	}
	int r = cap_set_proc(caps);
	int e = errno;
	cap_free(caps);
	if (r < 0)
		return capsa_error_set(err, e, "set capabilities");
	/* Ambient caps need the cap in both permitted and inheritable; the kernel checks it. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return capsa_error_errno(err, "clear ambient capabilities");
	for (size_t i = 0; c && i < c->n_ambient; i++) {
		cap_value_t v;
		if (cap_value(c->ambient[i], &v) < 0)
			continue;
		if (cap_set_ambient(v, CAP_SET) < 0)
			return capsa_error_errno(err, "raise ambient capability %s", c->ambient[i]);
	}
	return 0;
}
