/* SPDX-License-Identifier: GPL-2.0-or-later */
/* json-file logs: one {"log","stream","time"} object per line; reading them back, tail and follow. */
#define _GNU_SOURCE
#include "engine/internal.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>

char *capsa_log_line(const char *stream, const char *data, size_t len, const struct timespec *ts)
{
	/* Escaped by hand: the data may hold NUL bytes, which a C-string escaper would cut. */
	size_t cap = len * 6 + 128;
	char *out = xmalloc(cap);
	size_t k = (size_t)snprintf(out, cap, "{\"log\":\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)data[i];
		switch (ch) {
		case '"':
			k += (size_t)snprintf(out + k, cap - k, "\\\"");
			break;
		case '\\':
			k += (size_t)snprintf(out + k, cap - k, "\\\\");
			break;
		case '\n':
			k += (size_t)snprintf(out + k, cap - k, "\\n");
			break;
		case '\r':
			k += (size_t)snprintf(out + k, cap - k, "\\r");
			break;
		case '\t':
			k += (size_t)snprintf(out + k, cap - k, "\\t");
			break;
		default:
			if (ch < 0x20 || ch == 0x7f)
				k += (size_t)snprintf(out + k, cap - k, "\\u%04x", ch);
			else
				out[k++] = (char)ch;
		}
	}
	_cleanup_free_ char *t = capsa_time_rfc3339(ts);
	snprintf(out + k, cap - k, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream, t);
	return out;
}

static int64_t parse_time_ns(const char *s)
{
	struct tm tm = {0};
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		return -1;
	int64_t ns = (int64_t)timegm(&tm) * 1000000000LL;
	if (*p == '.') {
		int64_t frac = 0, scale = 100000000;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
		ns += frac;
	}
	return ns;
}

int capsa_log_line_parse(const char *line, char **stream, char **log, size_t *log_len, int64_t *time_ns,
			 struct capsa_error **err)
{
	json_object *o = json_tokener_parse(line);
	json_object *l, *s, *t;
	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "log", &l) || !json_object_is_type(l, json_type_string) ||
	    !json_object_object_get_ex(o, "stream", &s) || !json_object_is_type(s, json_type_string) ||
	    !json_object_object_get_ex(o, "time", &t) || !json_object_is_type(t, json_type_string)) {
		if (o)
			json_object_put(o);
		return capsa_error_set(err, EINVAL, "bad log line");
	}
	*log_len = (size_t)json_object_get_string_len(l);
	*log = xmalloc(*log_len + 1);
	memcpy(*log, json_object_get_string(l), *log_len);
	(*log)[*log_len] = '\0';
	*stream = xstrdup(json_object_get_string(s));
	*time_ns = parse_time_ns(json_object_get_string(t));
	json_object_put(o);
	return 0;
}

static void emit(const struct capsa_logs_opts *o, const char *line)
{
	_cleanup_free_ char *stream = NULL, *log = NULL;
	size_t len;
	int64_t t;
	struct capsa_error *e = NULL;
	if (capsa_log_line_parse(line, &stream, &log, &len, &t, &e) < 0) {
		capsa_error_free(e);
		return;
	}
	if ((o->since_ns && t < o->since_ns) || (o->until_ns && t > o->until_ns))
		return;
	int fd = strcmp(stream, "stderr") == 0 ? o->err_fd : o->out_fd;
	if (o->timestamps) {
		struct timespec ts = {.tv_sec = t / 1000000000, .tv_nsec = t % 1000000000};
		_cleanup_free_ char *ts_s = capsa_time_rfc3339(&ts);
		capsa_write_all(fd, ts_s, strlen(ts_s));
		capsa_write_all(fd, " ", 1);
	}
	capsa_write_all(fd, log, len);
}

/* Emits complete lines of buf[*start..len); keeps the incomplete rest. */
static void emit_lines(const struct capsa_logs_opts *o, char *buf, size_t *len)
{
	size_t start = 0;
	for (;;) {
		char *nl = memchr(buf + start, '\n', *len - start);
		if (nl == NULL)
			break;
		*nl = '\0';
		emit(o, buf + start);
		start = (size_t)(nl - buf) + 1;
	}
	memmove(buf, buf + start, *len - start);
	*len -= start;
}

static void read_rest(int fd, const struct capsa_logs_opts *o, char **buf, size_t *rest, size_t *cap)
{
	for (;;) {
		if (*cap - *rest < 4096) {
			*cap *= 2;
			*buf = xrealloc(*buf, *cap);
		}
		ssize_t n = read(fd, *buf + *rest, *cap - *rest);
		if (n <= 0)
			return;
		*rest += (size_t)n;
		emit_lines(o, *buf, rest);
	}
}

static bool same_file(int fd, int dfd, const char *name)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && fstatat(dfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/*
 * The log was rotated (maybe several times since we looked): the file we hold is now NAME.k, or gone.
 * Read it to its end, then each newer one in turn (NAME.k-1 ... NAME.1, NAME) from its start, so no
 * line is skipped. Rotation renames, so a file keeps its identity (inode) while it moves down the chain.
 */
static void follow_rotation(int dfd, const char *name, int max_file, const struct capsa_logs_opts *o, int *fd,
			    char **buf, size_t *rest, size_t *cap)
{
	int keep = max_file > 1 ? max_file : 1;
	for (int guard = 0; guard < 4 * keep + 4; guard++) {
		if (*fd >= 0) {
			read_rest(*fd, o, buf, rest, cap);
			if (same_file(*fd, dfd, name))
				return; /* we hold the current file: nothing more to catch up */
		}
		/* Where is ours now? Its successor is the next newer name (index k-1; 0 is NAME itself). */
		int k = -1, oldest = 0;
		for (int i = 1; i < keep; i++) {
			_cleanup_free_ char *n = xasprintf("%s.%d", name, i);
			if (faccessat(dfd, n, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
				oldest = i;
			if (*fd >= 0 && k < 0 && same_file(*fd, dfd, n))
				k = i;
		}
		/* Ours was rotated out (or never was): everything left is newer; start at the oldest. */
		int next = k > 0 ? k - 1 : oldest;
		_cleanup_free_ char *nn = next == 0 ? xstrdup(name) : xasprintf("%s.%d", name, next);
		int nfd = openat(dfd, nn, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (nfd < 0)
			return; /* between a rename and the new file's creation: the next event brings us back
				 */
		if (k > 0) {
			/* A rotation between finding ours and opening its successor shifted every name: the
			 * file opened would skip one. Ours still at k means none happened; else look again.
			 */
			_cleanup_free_ char *ours = xasprintf("%s.%d", name, k);
			if (!same_file(*fd, dfd, ours)) {
				close(nfd);
				continue;
			}
		}
		if (*fd >= 0)
			close(*fd);
		*fd = nfd;
		/* A partial line of the old file never gets its end: the next file starts with a whole one.
		 */
		*rest = 0;
	}
}

int capsa_engine_logs(struct capsa_engine *e, struct capsa_ctr *c, const struct capsa_logs_opts *o,
		      struct capsa_error **err)
{
	if (c->log_driver && strcmp(c->log_driver, "none") == 0)
		return capsa_error_set(err, 0, "configured logging driver does not support reading");
	_cleanup_close_ int dfd = ctr_dir_open(e, c->id, err);
	if (dfd < 0)
		return -1;
	/* Follow: the monitor's socket says when the container is done; inotify says when the log grows. */
	_cleanup_close_ int sock = -1, ino = -1;
	if (o->follow && monitor_alive(c)) {
		sock = monitor_connect(dfd);
		if (sock >= 0) {
			uint32_t flags = HELLO_WAIT;
			frame_send(sock, FRAME_HELLO, &flags, 4);
		}
		ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		_cleanup_free_ char *path = xasprintf("%s/containers/%s", e->root, c->id);
		if (ino >= 0)
			inotify_add_watch(ino, path, IN_MODIFY | IN_CREATE | IN_MOVED_TO);
	}
	_cleanup_free_ char *name = ctr_log_name(c->id);
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno != ENOENT)
		return capsa_error_errno(err, "open the log");
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (fd >= 0 && capsa_read_fd(fd, 1ULL << 34, &text, &len, err) < 0)
		return capsa_error_prefix(err, "read the log");
	size_t start = 0;
	if (o->tail >= 0 && text) {
		int64_t lines = 0;
		size_t i = len;
		if (i > 0 && text[i - 1] == '\n')
			i--;
		while (i > 0) {
			if (text[i - 1] == '\n' && ++lines == o->tail)
				break;
			i--;
		}
		start = o->tail == 0 ? len : i;
	}
	size_t rest = len - start;
	char *buf = xmalloc(rest + 65536);
	if (rest)
		memcpy(buf, text + start, rest);
	emit_lines(o, buf, &rest);
	if (sock < 0) {
		free(buf);
		return 0;
	}
	size_t cap = rest + 65536;
	for (;;) {
		struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = ino, .events = POLLIN}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN) {
			char ev[4096];
			while (read(ino, ev, sizeof(ev)) > 0)
				;
		}
		/* What the current file has, then what rotations since the last look moved past us. */
		follow_rotation(dfd, name, c->log_max_file, o, &fd, &buf, &rest, &cap);
		if (p[0].revents)
			break; /* exited: the monitor wrote its last line before it said so */
	}
	free(buf);
	return 0;
}
