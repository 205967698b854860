/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A tiny TAP producer for capsa's C unit tests (run with prove). */
#ifndef CAPSA_TAP_H
#define CAPSA_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void tap_okv(int cond, const char *fmt, va_list ap)
{
	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

static inline __attribute__((format(printf, 2, 3))) int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tap_okv(cond, fmt, ap);
	va_end(ap);
	return cond;
}

#define is_str(got, want, ...)                                                                               \
	({                                                                                                   \
		const char *_g = (got), *_w = (want);                                                        \
		int _c = (_g && _w) ? strcmp(_g, _w) == 0 : _g == _w;                                        \
		if (!ok(_c, __VA_ARGS__))                                                                    \
			printf("#   got:      '%s'\n#   expected: '%s'\n", _g ? _g : "(null)",               \
			       _w ? _w : "(null)");                                                          \
		_c;                                                                                          \
	})

#define is_int(got, want, ...)                                                                               \
	({                                                                                                   \
		long long _g = (long long)(got), _w = (long long)(want);                                     \
		int _c = _g == _w;                                                                           \
		if (!ok(_c, __VA_ARGS__))                                                                    \
			printf("#   got:      %lld\n#   expected: %lld\n", _g, _w);                          \
		_c;                                                                                          \
	})

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
