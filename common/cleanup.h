/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Automatic cleanup helpers, allocation that aborts on failure, small utilities. */
#ifndef CAPSA_CLEANUP_H
#define CAPSA_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	/* close() must not clobber errno for the caller, and is never retried (EINTR closes anyway). */
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f) {
		int saved = errno;
		fclose(*f);
		errno = saved;
	}
}

static inline void closedirp(DIR **d)
{
	if (*d) {
		int saved = errno;
		closedir(*d);
		errno = saved;
	}
}

void capsa_strv_free(char **v);
static inline void strv_freep(char ***v)
{
	capsa_strv_free(*v);
}

#define _cleanup_free_ __attribute__((cleanup(freep)))
#define _cleanup_close_ __attribute__((cleanup(closep)))
#define _cleanup_fclose_ __attribute__((cleanup(fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(closedirp)))
#define _cleanup_strv_ __attribute__((cleanup(strv_freep)))

#define TAKE_PTR(p)                                                                                          \
	({                                                                                                   \
		__typeof__(p) _tmp = (p);                                                                    \
		(p) = NULL;                                                                                  \
		_tmp;                                                                                        \
	})
#define TAKE_FD(fd)                                                                                          \
	({                                                                                                   \
		int _tmp = (fd);                                                                             \
		(fd) = -1;                                                                                   \
		_tmp;                                                                                        \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation failure is not recoverable here: these print and abort. */
void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
