/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsers for the values of `capsa run` flags: sizes, durations, CPUs, env files, mount specs, restart. */
#define _GNU_SOURCE
#include "engine/engine.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

extern char **environ;

/* A decimal number with an optional fraction; *end gets the rest. */
static int parse_decimal(const char *s, double *out, const char **end)
{
	const char *p = s;
	if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
		return -1;
	double v = 0;
	while (isdigit((unsigned char)*p))
		v = v * 10 + (*p++ - '0');
	if (*p == '.') {
		p++;
		double scale = 0.1;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p)) {
			v += (*p++ - '0') * scale;
			scale /= 10;
		}
	}
	*out = v;
	*end = p;
	return 0;
}

int capsa_parse_memory(const char *s, int64_t *out, struct capsa_error **err)
{
	double v;
	const char *u;
	if (s == NULL || parse_decimal(s, &v, &u) < 0)
		return capsa_error_set(err, EINVAL, "invalid size: '%s'", s ? s : "");
	double mult;
	switch (tolower((unsigned char)*u)) {
	case '\0':
	case 'b':
		mult = 1;
		break;
	case 'k':
		mult = 1024.0;
		break;
	case 'm':
		mult = 1024.0 * 1024;
		break;
	case 'g':
		mult = 1024.0 * 1024 * 1024;
		break;
	case 't':
		mult = 1024.0 * 1024 * 1024 * 1024;
		break;
	case 'p':
		mult = 1024.0 * 1024 * 1024 * 1024 * 1024;
		break;
	default:
		return capsa_error_set(err, EINVAL, "invalid size: '%s'", s);
	}
	if (*u) {
		u++;
		/* "512mb", "1gib" */
		if (tolower((unsigned char)*u) == 'i')
			u++;
		if (tolower((unsigned char)*u) == 'b' && tolower((unsigned char)u[-1]) != 'b')
			u++;
	}
	if (*u)
		return capsa_error_set(err, EINVAL, "invalid size: '%s'", s);
	double bytes = v * mult;
	if (bytes >= 9.2e18)
		return capsa_error_set(err, ERANGE, "invalid size: '%s': too large", s);
	*out = (int64_t)bytes;
	return 0;
}

int capsa_parse_duration(const char *s, int64_t *ns, struct capsa_error **err)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {{"ns", 1},	 {"us", 1e3}, {"µs", 1e3},  {"ms", 1e6},
		     {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
	if (s == NULL || *s == '\0')
		return capsa_error_set(err, EINVAL, "invalid duration: '%s'", s ? s : "");
	const char *p = s;
	double total = 0;
	double v;
	const char *u;
	if (parse_decimal(p, &v, &u) == 0 && *u == '\0') {
		total = v * 1e9; /* a bare number: seconds */
		p = u;
	}
	while (*p) {
		if (parse_decimal(p, &v, &u) < 0)
			return capsa_error_set(err, EINVAL, "invalid duration: '%s'", s);
		size_t best = 0, best_len = 0;
		for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
			size_t l = strlen(units[i].unit);
			if (strncmp(u, units[i].unit, l) == 0 && l > best_len) {
				best = i;
				best_len = l;
			}
		}
		if (best_len == 0)
			return capsa_error_set(err, EINVAL, "invalid duration: '%s': missing or unknown unit",
					       s);
		total += v * units[best].ns;
		p = u + best_len;
	}
	if (total >= 9.2e18)
		return capsa_error_set(err, ERANGE, "invalid duration: '%s': too long", s);
	*ns = (int64_t)total;
	return 0;
}

/* n digits (exactly) at *p as a number; advances *p. -1 when they are not there. */
static int fixed_digits(const char **p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return v;
}

/* ".123" after the seconds: up to 9 digits as nanoseconds; 0 when there is no fraction. -1 when bad. */
static int64_t fraction_ns(const char **p)
{
	if (**p != '.')
		return 0;
	(*p)++;
	int64_t v = 0;
	int n = 0;
	for (; isdigit((unsigned char)**p); (*p)++, n++)
		if (n < 9)
			v = v * 10 + (**p - '0');
	if (n == 0)
		return -1;
	for (; n < 9; n++)
		v *= 10;
	return v;
}

/* "YYYY-MM-DD[THH[:MM[:SS[.frac]]]][Z|±HH:MM|±HHMM]": a time without a zone is local time, as docker has
 * it. -1 when s is not of that form or names no real time. */
static int parse_date_time(const char *s, int64_t *ns)
{
	const char *p = s;
	struct tm tm = {0};
	int y = fixed_digits(&p, 4), mo = *p == '-' ? (p++, fixed_digits(&p, 2)) : -1,
	    d = *p == '-' ? (p++, fixed_digits(&p, 2)) : -1;
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	int h = 0, mi = 0, sec = 0;
	int64_t frac = 0;
	if (*p == 'T' || *p == 't') {
		p++;
		if ((h = fixed_digits(&p, 2)) < 0 || h > 23)
			return -1;
		if (*p == ':' && (p++, (mi = fixed_digits(&p, 2)) < 0 || mi > 59))
			return -1;
		if (*p == ':' && (p++, (sec = fixed_digits(&p, 2)) < 0 || sec > 60))
			return -1;
		if ((frac = fraction_ns(&p)) < 0)
			return -1;
	}
	bool local = *p == '\0';
	int off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1;
		int oh = fixed_digits(&p, 2);
		if (*p == ':')
			p++;
		int om = fixed_digits(&p, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -1;
		off = sign * (oh * 3600 + om * 60);
	}
	if (*p != '\0')
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	struct tm want = tm;
	time_t t = local ? mktime(&tm) : timegm(&tm);
	/* Both normalise: a day the month does not have (02-30) comes back as another date. */
	if (tm.tm_year != want.tm_year || tm.tm_mon != want.tm_mon || tm.tm_mday != want.tm_mday)
		return -1;
	/* Nanoseconds in an int64_t reach from 1677 to 2262. */
	if ((int64_t)t - off > 9200000000LL || (int64_t)t - off < -9200000000LL)
		return -1;
	*ns = ((int64_t)t - off) * 1000000000LL + frac;
	return 0;
}

int capsa_parse_timestamp(const char *s, int64_t now_ns, int64_t *ns, struct capsa_error **err)
{
	if (s == NULL || *s == '\0')
		return capsa_error_say(err, EINVAL, "invalid time: ''");
	/* A Unix time, seconds with an optional fraction ("1732867290", "1732867290.5"). */
	const char *p = s;
	while (isdigit((unsigned char)*p))
		p++;
	if (p > s && (*p == '\0' || *p == '.')) {
		int64_t frac = fraction_ns(&p);
		char *end;
		errno = 0;
		long long sec = strtoll(s, &end, 10);
		if (frac >= 0 && *p == '\0' && errno == 0 && sec < 9200000000LL) {
			*ns = sec * 1000000000LL + frac;
			return 0;
		}
	}
	if (parse_date_time(s, ns) == 0)
		return 0;
	/* A duration back from now ("10m", "1h30m"); a bare number was a Unix time above. */
	int64_t d;
	struct capsa_error *e = NULL;
	if (strchr(s, '-') == NULL && !isdigit((unsigned char)s[strlen(s) - 1]) &&
	    capsa_parse_duration(s, &d, &e) == 0) {
		if (now_ns < 0) {
			struct timespec now;
			clock_gettime(CLOCK_REALTIME, &now);
			now_ns = now.tv_sec * 1000000000LL + now.tv_nsec;
		}
		*ns = now_ns - d;
		return 0;
	}
	capsa_error_free(e);
	return capsa_error_say(err, EINVAL,
			       "invalid time '%s': not a duration (10m, 1h30m), an RFC 3339 time "
			       "(2024-05-01T10:00:00Z, a local time without the zone) or a Unix timestamp",
			       s);
}

int capsa_parse_cpus(const char *s, int64_t *nano, struct capsa_error **err)
{
	double v;
	const char *u;
	if (s == NULL || parse_decimal(s, &v, &u) < 0 || *u)
		return capsa_error_set(err, EINVAL, "invalid value for --cpus: '%s'", s ? s : "");
	if (v <= 0 || v > 1e6)
		return capsa_error_set(err, ERANGE, "invalid value for --cpus: '%s': out of range", s);
	*nano = (int64_t)(v * 1e9 + 0.5);
	if (*nano < 1000000)
		return capsa_error_set(err, ERANGE, "invalid value for --cpus: '%s': at least 0.001", s);
	return 0;
}

static bool env_name_ok(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (isspace((unsigned char)s[i]))
			return false;
	return true;
}

int capsa_parse_env_arg(const char *s, char ***env, size_t *n, struct capsa_error **err)
{
	const char *eq = strchr(s, '=');
	size_t klen = eq ? (size_t)(eq - s) : strlen(s);
	if (!env_name_ok(s, klen))
		return capsa_error_set(err, EINVAL, "invalid environment variable: '%s'", s);
	if (eq) {
		capsa_strv_push(env, s);
	} else {
		_cleanup_free_ char *k = xstrndup(s, klen);
		const char *v = getenv(k);
		if (v == NULL)
			return 0; /* docker drops a name that is not set */
		_cleanup_free_ char *kv = xasprintf("%s=%s", k, v);
		capsa_strv_push(env, kv);
	}
	(*n)++;
	return 0;
}

int capsa_parse_env_file(const char *text, const char *name, char ***env, size_t *n, struct capsa_error **err)
{
	const char *p = text;
	int lineno = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		_cleanup_free_ char *line = xstrndup(p, len);
		p += len + (nl ? 1 : 0);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		char *l = line;
		while (isspace((unsigned char)*l))
			l++;
		if (*l == '\0' || *l == '#')
			continue;
		if (*l == '=')
			return capsa_error_set(err, EINVAL, "env file %s: line %d: variable name is empty",
					       name, lineno);
		if (capsa_parse_env_arg(l, env, n, err) < 0)
			return capsa_error_prefix(err, "env file %s: line %d", name, lineno);
	}
	return 0;
}

void capsa_mount_spec_clear(struct capsa_mount_spec *m)
{
	free(m->source);
	free(m->destination);
	free(m->propagation);
	free(m->tmpfs_options);
	*m = (struct capsa_mount_spec){.tmpfs_mode = -1};
}

static bool is_propagation(const char *s)
{
	static const char *const p[] = {"private", "rprivate", "shared", "rshared", "slave", "rslave"};
	for (size_t i = 0; i < ARRAY_SIZE(p); i++)
		if (strcmp(s, p[i]) == 0)
			return true;
	return false;
}

static int check_destination(const char *spec, const char *dst, struct capsa_error **err)
{
	if (dst == NULL || *dst == '\0')
		return capsa_error_set(err, EINVAL, "invalid mount spec \"%s\": missing the container path",
				       spec);
	if (dst[0] != '/')
		return capsa_error_set(err, EINVAL,
				       "invalid mount spec \"%s\": the container path %s must be absolute",
				       spec, dst);
	if (strcmp(dst, "/") == 0)
		return capsa_error_set(err, EINVAL,
				       "invalid mount spec \"%s\": the container path cannot be /", spec);
	return 0;
}

static bool volume_name_ok(const char *s)
{
	if (!isalnum((unsigned char)s[0]))
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return false;
	return strlen(s) <= 255;
}

int capsa_parse_volume(const char *s, struct capsa_mount_spec *out, struct capsa_error **err)
{
	*out = (struct capsa_mount_spec){.tmpfs_mode = -1};
	_cleanup_strv_ char **parts = NULL;
	size_t n = 0;
	_cleanup_free_ char *copy = xstrdup(s);
	char *save = NULL;
	for (char *t = strtok_r(copy, ":", &save); t; t = strtok_r(NULL, ":", &save), n++)
		capsa_strv_push(&parts, t);
	if (n == 0 || n > 3 || s[0] == ':' || strstr(s, "::") || s[strlen(s) - 1] == ':')
		return capsa_error_set(err, EINVAL, "invalid volume specification: '%s'", s);
	const char *src = n >= 2 ? parts[0] : NULL;
	const char *dst = n >= 2 ? parts[1] : parts[0];
	struct capsa_error *why = NULL;
	if (check_destination(s, dst, &why) < 0) {
		capsa_error_free(why);
		return capsa_error_set(err, EINVAL,
				       "invalid volume specification: '%s': the container path must be "
				       "absolute and not /",
				       s);
	}
	if (n == 3) {
		_cleanup_free_ char *opts = xstrdup(parts[2]);
		char *save2 = NULL;
		for (char *o = strtok_r(opts, ",", &save2); o; o = strtok_r(NULL, ",", &save2)) {
			if (strcmp(o, "ro") == 0)
				out->readonly = true;
			else if (strcmp(o, "rw") == 0)
				out->readonly = false;
			else if (is_propagation(o)) {
				free(out->propagation);
				out->propagation = xstrdup(o);
			} else if (strcmp(o, "z") && strcmp(o, "Z") && strcmp(o, "nocopy") &&
				   strcmp(o, "consistent") && strcmp(o, "cached") && strcmp(o, "delegated")) {
				capsa_mount_spec_clear(out);
				return capsa_error_set(
					err, EINVAL,
					"invalid volume specification: '%s': unknown option \"%s\"", s, o);
			}
		}
	}
	if (src == NULL) {
		out->kind = CAPSA_MOUNT_VOLUME;
	} else if (src[0] == '/') {
		out->kind = CAPSA_MOUNT_BIND;
		out->source = xstrdup(src);
	} else if (src[0] == '.' || strchr(src, '/')) {
		capsa_mount_spec_clear(out);
		return capsa_error_set(err, EINVAL,
				       "invalid volume specification: '%s': a host path must be absolute", s);
	} else if (!volume_name_ok(src)) {
		capsa_mount_spec_clear(out);
		return capsa_error_set(err, EINVAL,
				       "invalid volume specification: '%s': bad volume name \"%s\"", s, src);
	} else {
		out->kind = CAPSA_MOUNT_VOLUME;
		out->source = xstrdup(src);
	}
	out->destination = xstrdup(dst);
	if (out->propagation == NULL)
		out->propagation = xstrdup("rprivate");
	return 0;
}

static bool opt_bool(const char *v, bool *out)
{
	if (v == NULL || strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
		*out = true;
		return true;
	}
	if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
		*out = false;
		return true;
	}
	return false;
}

int capsa_parse_mount(const char *s, struct capsa_mount_spec *out, struct capsa_error **err)
{
	*out = (struct capsa_mount_spec){.tmpfs_mode = -1};
	_cleanup_free_ char *copy = xstrdup(s);
	char *save = NULL;
	const char *type = NULL;
	for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *v = strchr(kv, '=');
		if (v)
			*v++ = '\0';
		if (strcmp(kv, "type") == 0 && v) {
			type = v;
		} else if ((strcmp(kv, "source") == 0 || strcmp(kv, "src") == 0) && v && *v) {
			free(out->source);
			out->source = xstrdup(v);
		} else if ((strcmp(kv, "target") == 0 || strcmp(kv, "destination") == 0 ||
			    strcmp(kv, "dst") == 0) &&
			   v) {
			free(out->destination);
			out->destination = xstrdup(v);
		} else if (strcmp(kv, "readonly") == 0 || strcmp(kv, "ro") == 0) {
			if (!opt_bool(v, &out->readonly))
				goto bad_value;
		} else if (strcmp(kv, "bind-propagation") == 0 && v && is_propagation(v)) {
			free(out->propagation);
			out->propagation = xstrdup(v);
		} else if (strcmp(kv, "tmpfs-size") == 0 && v) {
			struct capsa_error *e = NULL;
			if (capsa_parse_memory(v, &out->tmpfs_size, &e) < 0) {
				capsa_error_free(e);
				goto bad_value;
			}
		} else if (strcmp(kv, "tmpfs-mode") == 0 && v) {
			char *end;
			errno = 0;
			long m = strtol(v, &end, 8);
			if (errno || *end || end == v || m < 0 || m > 07777)
				goto bad_value;
			out->tmpfs_mode = m;
		} else if (strcmp(kv, "volume-nocopy") == 0 || strcmp(kv, "consistency") == 0) {
			/* accepted for compatibility, nothing to do */
		} else {
			capsa_error_set(err, EINVAL,
					"invalid mount spec \"%s\": unknown or incomplete field \"%s\"", s,
					kv);
			goto fail;
		}
		continue;
	bad_value:
		capsa_error_set(err, EINVAL, "invalid mount spec \"%s\": bad value for %s", s, kv);
		goto fail;
	}
	if (type == NULL || strcmp(type, "volume") == 0)
		out->kind = CAPSA_MOUNT_VOLUME;
	else if (strcmp(type, "bind") == 0)
		out->kind = CAPSA_MOUNT_BIND;
	else if (strcmp(type, "tmpfs") == 0)
		out->kind = CAPSA_MOUNT_TMPFS;
	else {
		capsa_error_set(err, EINVAL, "invalid mount spec \"%s\": unknown type \"%s\"", s, type);
		goto fail;
	}
	if (check_destination(s, out->destination, err) < 0)
		goto fail;
	if (out->kind == CAPSA_MOUNT_BIND && (out->source == NULL || out->source[0] != '/')) {
		capsa_error_set(err, EINVAL,
				"invalid mount spec \"%s\": a bind mount needs an absolute source", s);
		goto fail;
	}
	if (out->kind == CAPSA_MOUNT_TMPFS && out->source) {
		capsa_error_set(err, EINVAL, "invalid mount spec \"%s\": a tmpfs mount takes no source", s);
		goto fail;
	}
	if (out->kind == CAPSA_MOUNT_VOLUME && out->source && !volume_name_ok(out->source)) {
		capsa_error_set(err, EINVAL, "invalid mount spec \"%s\": bad volume name \"%s\"", s,
				out->source);
		goto fail;
	}
	if (out->propagation == NULL)
		out->propagation = xstrdup("rprivate");
	return 0;
fail:
	capsa_mount_spec_clear(out);
	return -1;
}

int capsa_parse_tmpfs(const char *s, struct capsa_mount_spec *out, struct capsa_error **err)
{
	*out = (struct capsa_mount_spec){.kind = CAPSA_MOUNT_TMPFS, .tmpfs_mode = -1};
	const char *colon = strchr(s, ':');
	_cleanup_free_ char *dst = colon ? xstrndup(s, (size_t)(colon - s)) : xstrdup(s);
	if (check_destination(s, dst, err) < 0)
		return -1;
	if (colon && colon[1]) {
		/* Only plain mount options: "size=64m,mode=1777,noexec". */
		for (const char *p = colon + 1; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("=,_-.", *p))
				return capsa_error_set(err, EINVAL, "invalid tmpfs spec \"%s\": bad options",
						       s);
		out->tmpfs_options = xstrdup(colon + 1);
	}
	out->destination = TAKE_PTR(dst);
	return 0;
}

int capsa_parse_restart(const char *s, enum capsa_restart *policy, int *max_retries, struct capsa_error **err)
{
	*max_retries = 0;
	if (strcmp(s, "no") == 0 || *s == '\0') {
		*policy = CAPSA_RESTART_NO;
		return 0;
	}
	if (strcmp(s, "always") == 0) {
		*policy = CAPSA_RESTART_ALWAYS;
		return 0;
	}
	if (strcmp(s, "unless-stopped") == 0) {
		*policy = CAPSA_RESTART_UNLESS_STOPPED;
		return 0;
	}
	if (strcmp(s, "on-failure") == 0 || capsa_str_has_prefix(s, "on-failure:")) {
		*policy = CAPSA_RESTART_ON_FAILURE;
		if (s[10] == ':') {
			int64_t v;
			if (capsa_parse_i64(s + 11, &v) < 0 || v < 0 || v > 1000000)
				return capsa_error_set(err, EINVAL,
						       "invalid restart policy \"%s\": bad retry count", s);
			*max_retries = (int)v;
		}
		return 0;
	}
	return capsa_error_set(
		err, EINVAL,
		"invalid restart policy \"%s\" (no, on-failure[:max-retries], always or unless-stopped)", s);
}

const char *capsa_restart_name(enum capsa_restart r)
{
	static const char *const names[] = {"no", "on-failure", "always", "unless-stopped"};
	return (unsigned)r < ARRAY_SIZE(names) ? names[r] : "no";
}

int capsa_parse_ulimit(const char *s, struct oci_rlimit *out, struct capsa_error **err)
{
	static const struct {
		const char *name;
		int res;
	} names[] = {
		{"core", RLIMIT_CORE},	       {"cpu", RLIMIT_CPU},
		{"data", RLIMIT_DATA},	       {"fsize", RLIMIT_FSIZE},
		{"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},
		{"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
		{"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},
		{"rss", RLIMIT_RSS},	       {"rtprio", RLIMIT_RTPRIO},
		{"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
		{"stack", RLIMIT_STACK},
	};
	const char *eq = strchr(s, '=');
	if (eq == NULL)
		return capsa_error_set(err, EINVAL, "invalid ulimit \"%s\" (NAME=SOFT[:HARD])", s);
	_cleanup_free_ char *name = xstrndup(s, (size_t)(eq - s));
	size_t i;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(names[i].name, name) == 0)
			break;
	if (i == ARRAY_SIZE(names))
		return capsa_error_set(err, EINVAL, "invalid ulimit \"%s\": unknown name \"%s\"", s, name);
	_cleanup_free_ char *vals = xstrdup(eq + 1);
	char *colon = strchr(vals, ':');
	if (colon)
		*colon++ = '\0';
	int64_t soft, hard;
	if (capsa_parse_i64(vals, &soft) < 0 || (colon && capsa_parse_i64(colon, &hard) < 0))
		return capsa_error_set(err, EINVAL, "invalid ulimit \"%s\": bad number", s);
	if (!colon)
		hard = soft;
	if ((soft < 0 && soft != -1) || (hard < 0 && hard != -1))
		return capsa_error_set(err, EINVAL, "invalid ulimit \"%s\": negative value", s);
	if ((uint64_t)soft > (uint64_t)hard)
		return capsa_error_set(err, EINVAL, "invalid ulimit \"%s\": soft limit above the hard limit",
				       s);
	*out = (struct oci_rlimit){.type = xasprintf("RLIMIT_%s", name),
				   .resource = names[i].res,
				   .soft = (uint64_t)soft,
				   .hard = (uint64_t)hard};
	for (char *p = out->type; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return 0;
}

int capsa_container_name_validate(const char *name, struct capsa_error **err)
{
	const char *n = name[0] == '/' ? name + 1 : name;
	bool ok = isalnum((unsigned char)n[0]) && strlen(n) <= 128;
	for (const char *p = n; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || strchr("_.-", *p);
	if (!ok)
		return capsa_error_say(err, EINVAL,
				       "invalid container name \"%s\", only [a-zA-Z0-9][a-zA-Z0-9_.-] "
				       "are allowed",
				       name);
	return 0;
}

int capsa_parse_detach_keys(const char *s, char **out, struct capsa_error **err)
{
	size_t n = 0;
	char keys[16];
	_cleanup_free_ char *copy = xstrdup(s);
	char *save = NULL;
	for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		if (n == sizeof(keys) - 1)
			return capsa_error_set(err, EINVAL, "invalid detach keys \"%s\": too long", s);
		if (strlen(k) == 1) {
			keys[n++] = k[0];
		} else if (capsa_str_has_prefix(k, "ctrl-") && strlen(k) == 6) {
			char ch = k[5];
			if (ch >= 'a' && ch <= 'z')
				keys[n++] = (char)(ch - 'a' + 1);
			else if (ch == '@')
				keys[n++] = 0;
			else if (strchr("[\\]^_", ch))
				keys[n++] = (char)(ch - '@');
			else
				return capsa_error_set(
					err, EINVAL, "invalid detach keys \"%s\": unknown key \"%s\"", s, k);
		} else {
			return capsa_error_set(err, EINVAL, "invalid detach keys \"%s\": unknown key \"%s\"",
					       s, k);
		}
	}
	if (n == 0)
		return capsa_error_set(err, EINVAL, "invalid detach keys \"%s\": empty", s);
	/* A NUL key cannot be matched in a C string: refuse rather than never detach. */
	if (memchr(keys, 0, n))
		return capsa_error_set(err, EINVAL, "invalid detach keys \"%s\": ctrl-@ is not supported", s);
	*out = xstrndup(keys, n);
	return 0;
}
