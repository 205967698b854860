/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * capsa's one error type. Fallible functions take `struct capsa_error **err`,
 * return -1 on failure and fill *err; callers add context on the way up with
 * capsa_error_prefix(). Only cmd/ prints errors.
 */
#ifndef CAPSA_ERROR_H
#define CAPSA_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define CAPSA_WUR __attribute__((warn_unused_result))

struct capsa_error {
	int errnum; /* errno value, 0 when the message says it all */
	char *msg;
	bool said; /* the message words the reason itself: errnum is for callers to test, not printed */
};

/* Sets *err (if err is not NULL and *err is empty) and returns -1. */
int capsa_error_set(struct capsa_error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int capsa_error_setv(struct capsa_error **err, int errnum, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* Sets *err with errnum for callers to test and a message that words the reason itself (docker's "No such
 * container: x"), so the text has no strerror after it. */
int capsa_error_say(struct capsa_error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, with errnum = errno. */
#define capsa_error_errno(err, ...) capsa_error_set((err), errno, __VA_ARGS__)

/* Prepends "prefix: " to the message; returns -1 so it can end a `return`. */
int capsa_error_prefix(struct capsa_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The full text: "msg: strerror(errnum)" (msg alone when said). The result is owned by the caller. */
char *capsa_error_text(const struct capsa_error *e);
void capsa_error_free(struct capsa_error *e);
/* Frees *err and sets it to NULL. */
void capsa_error_clear(struct capsa_error **err);

static inline void capsa_error_freep(struct capsa_error **e)
{
	capsa_error_free(*e);
}
#define _cleanup_error_ __attribute__((cleanup(capsa_error_freep)))

#endif
