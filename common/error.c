/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "error.h"
#include "cleanup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int capsa_error_setv(struct capsa_error **err, int errnum, const char *fmt, va_list ap)
{
	/* The first error wins: a later one (from cleanup) must not hide the cause. */
	if (err == NULL || *err != NULL)
		return -1;
	struct capsa_error *e = xzalloc(sizeof(*e));
	e->errnum = errnum;
	if (vasprintf(&e->msg, fmt, ap) < 0) {
		fputs("capsa: out of memory\n", stderr);
		abort();
	}
	*err = e;
	return -1;
}

int capsa_error_set(struct capsa_error **err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	capsa_error_setv(err, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int capsa_error_say(struct capsa_error **err, int errnum, const char *fmt, ...)
{
	bool fresh = err != NULL && *err == NULL;
	va_list ap;
	va_start(ap, fmt);
	capsa_error_setv(err, errnum, fmt, ap);
	va_end(ap);
	if (fresh)
		(*err)->said = true;
	return -1;
}

int capsa_error_prefix(struct capsa_error **err, const char *fmt, ...)
{
	if (err == NULL || *err == NULL)
		return -1;
	_cleanup_free_ char *prefix = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (r < 0) {
		fputs("capsa: out of memory\n", stderr);
		abort();
	}
	char *msg = xasprintf("%s: %s", prefix, (*err)->msg);
	free((*err)->msg);
	(*err)->msg = msg;
	return -1;
}

char *capsa_error_text(const struct capsa_error *e)
{
	if (e == NULL)
		return xstrdup("unknown error");
	if (e->errnum == 0 || e->said)
		return xstrdup(e->msg);
	return xasprintf("%s: %s", e->msg, strerror(e->errnum));
}

void capsa_error_free(struct capsa_error *e)
{
	if (e == NULL)
		return;
	free(e->msg);
	free(e);
}

void capsa_error_clear(struct capsa_error **err)
{
	if (err) {
		capsa_error_free(*err);
		*err = NULL;
	}
}
