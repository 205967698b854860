// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libarchive, loaded at its first use instead of linked: most capsa commands (run, ps, stop, exec) and
 * every start of the monitor never read an archive, and linking libarchive costs each of those processes
 * ~17 shared libraries (libxml2, ICU, libstdc++, the compressors) and several ms at every exec. These are
 * the functions capsa calls, each resolving its real one once; the prototypes come from archive.h, so the
 * compiler checks each against the library's own declaration.
 */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/error.h"
#include "image/image.h"

#define LA_SONAME "libarchive.so.13"

static void *la_handle;
static pthread_once_t la_once = PTHREAD_ONCE_INIT;

static void la_open(void)
{
	la_handle = dlopen(LA_SONAME, RTLD_NOW | RTLD_LOCAL);
}

int capsa_archive_ready(struct capsa_error **err)
{
	pthread_once(&la_once, la_open);
	if (la_handle == NULL)
		return capsa_error_set(err, 0, "%s: %s (install libarchive13: image archives need it)",
				       LA_SONAME, dlerror());
	return 0;
}

/* An archive function is needed and libarchive cannot be loaded: as fatal as running out of memory. */
static void *la_sym(const char *name)
{
	pthread_once(&la_once, la_open);
	void *p = la_handle ? dlsym(la_handle, name) : NULL;
	if (p == NULL) {
		fprintf(stderr, "capsa: %s: %s (install libarchive13: image archives need it)\n", LA_SONAME,
			la_handle ? "a function is missing" : dlerror());
		exit(125);
	}
	return p;
}

/* The pointer is written once with the same value by any thread that gets there first. */
#define LA_FN(ret, name, params, args)                                                                       \
	ret name params                                                                                      \
	{                                                                                                    \
		static ret(*fp) params;                                                                      \
		ret(*f) params = __atomic_load_n(&fp, __ATOMIC_ACQUIRE);                                     \
		if (f == NULL) {                                                                             \
			*(void **)&f = la_sym(#name);                                                        \
			__atomic_store_n(&fp, f, __ATOMIC_RELEASE);                                          \
		}                                                                                            \
		return f args;                                                                               \
	}

typedef struct archive *archive_p;
typedef struct archive_entry *entry_p;
typedef const char *cstr;
typedef struct archive_entry_linkresolver *linkres_p;

LA_FN(archive_p, archive_read_new, (void), ())
LA_FN(archive_p, archive_read_disk_new, (void), ())
LA_FN(archive_p, archive_write_new, (void), ())
LA_FN(entry_p, archive_entry_new, (void), ())
LA_FN(void, archive_entry_free, (entry_p e), (e))

LA_FN(int, archive_read_free, (archive_p a), (a))
LA_FN(int, archive_write_free, (archive_p a), (a))
LA_FN(int, archive_write_close, (archive_p a), (a))
LA_FN(int, archive_errno, (archive_p a), (a))
LA_FN(cstr, archive_error_string, (archive_p a), (a))

LA_FN(int, archive_read_support_filter_all, (archive_p a), (a))
LA_FN(int, archive_read_support_filter_bzip2, (archive_p a), (a))
LA_FN(int, archive_read_support_filter_gzip, (archive_p a), (a))
LA_FN(int, archive_read_support_filter_xz, (archive_p a), (a))
LA_FN(int, archive_read_support_filter_zstd, (archive_p a), (a))
LA_FN(int, archive_read_support_format_raw, (archive_p a), (a))
LA_FN(int, archive_read_support_format_tar, (archive_p a), (a))
LA_FN(int, archive_read_open,
      (archive_p a, void *data, archive_open_callback *o, archive_read_callback *r,
       archive_close_callback *c),
      (a, data, o, r, c))
LA_FN(int, archive_read_open_fd, (archive_p a, int fd, size_t block), (a, fd, block))
LA_FN(int, archive_read_next_header, (archive_p a, entry_p *e), (a, e))
LA_FN(int, archive_read_next_header2, (archive_p a, entry_p e), (a, e))
LA_FN(int, archive_read_data_block, (archive_p a, const void **buf, size_t *size, la_int64_t *off),
      (a, buf, size, off))

LA_FN(int, archive_read_disk_open, (archive_p a, cstr path), (a, path))
LA_FN(int, archive_read_disk_descend, (archive_p a), (a))
LA_FN(int, archive_read_disk_set_standard_lookup, (archive_p a), (a))
LA_FN(int, archive_read_disk_set_symlink_physical, (archive_p a), (a))

LA_FN(int, archive_write_open,
      (archive_p a, void *data, archive_open_callback *o, archive_write_callback *w,
       archive_close_callback *c),
      (a, data, o, w, c))
LA_FN(int, archive_write_open_fd, (archive_p a, int fd), (a, fd))
LA_FN(int, archive_write_header, (archive_p a, entry_p e), (a, e))
LA_FN(la_ssize_t, archive_write_data, (archive_p a, const void *buf, size_t n), (a, buf, n))
LA_FN(int, archive_write_set_bytes_in_last_block, (archive_p a, int n), (a, n))
LA_FN(int, archive_write_set_format_pax_restricted, (archive_p a), (a))
LA_FN(int, archive_write_set_format_cpio_newc, (archive_p a), (a))
LA_FN(int, archive_write_set_bytes_per_block, (archive_p a, int n), (a, n))
LA_FN(int, archive_format, (archive_p a), (a))

LA_FN(linkres_p, archive_entry_linkresolver_new, (void), ())
LA_FN(void, archive_entry_linkresolver_set_strategy, (linkres_p r, int format), (r, format))
LA_FN(void, archive_entry_linkresolver_free, (linkres_p r), (r))
LA_FN(void, archive_entry_linkify, (linkres_p r, entry_p *e, entry_p *spare), (r, e, spare))

LA_FN(time_t, archive_entry_atime, (entry_p e), (e))
LA_FN(int, archive_entry_atime_is_set, (entry_p e), (e))
LA_FN(long, archive_entry_atime_nsec, (entry_p e), (e))
LA_FN(time_t, archive_entry_mtime, (entry_p e), (e))
LA_FN(long, archive_entry_mtime_nsec, (entry_p e), (e))
LA_FN(__LA_MODE_T, archive_entry_filetype, (entry_p e), (e))
LA_FN(__LA_MODE_T, archive_entry_perm, (entry_p e), (e))
LA_FN(la_int64_t, archive_entry_uid, (entry_p e), (e))
LA_FN(la_int64_t, archive_entry_gid, (entry_p e), (e))
LA_FN(la_int64_t, archive_entry_size, (entry_p e), (e))
LA_FN(dev_t, archive_entry_rdevmajor, (entry_p e), (e))
LA_FN(dev_t, archive_entry_rdevminor, (entry_p e), (e))
LA_FN(cstr, archive_entry_pathname, (entry_p e), (e))
LA_FN(cstr, archive_entry_hardlink, (entry_p e), (e))
LA_FN(cstr, archive_entry_symlink, (entry_p e), (e))
LA_FN(cstr, archive_entry_sourcepath, (entry_p e), (e))
LA_FN(int, archive_entry_xattr_reset, (entry_p e), (e))
LA_FN(int, archive_entry_xattr_next, (entry_p e, const char **name, const void **value, size_t *size),
      (e, name, value, size))
LA_FN(void, archive_entry_set_filetype, (entry_p e, unsigned int t), (e, t))
LA_FN(void, archive_entry_set_mtime, (entry_p e, time_t t, long ns), (e, t, ns))
LA_FN(void, archive_entry_set_pathname, (entry_p e, cstr p), (e, p))
LA_FN(void, archive_entry_set_perm, (entry_p e, __LA_MODE_T m), (e, m))
LA_FN(void, archive_entry_set_size, (entry_p e, la_int64_t s), (e, s))
LA_FN(entry_p, archive_entry_clear, (entry_p e), (e))
LA_FN(void, archive_entry_set_mode, (entry_p e, __LA_MODE_T m), (e, m))
LA_FN(void, archive_entry_set_uid, (entry_p e, la_int64_t u), (e, u))
LA_FN(void, archive_entry_set_gid, (entry_p e, la_int64_t g), (e, g))
LA_FN(void, archive_entry_set_ino64, (entry_p e, la_int64_t i), (e, i))
LA_FN(void, archive_entry_set_nlink, (entry_p e, unsigned int n), (e, n))
LA_FN(void, archive_entry_set_dev, (entry_p e, dev_t d), (e, d))
LA_FN(void, archive_entry_set_rdev, (entry_p e, dev_t d), (e, d))
LA_FN(void, archive_entry_set_symlink, (entry_p e, cstr t), (e, t))

/* Variadic: formatted here, handed on as "%s". */
void archive_set_error(struct archive *a, int err, const char *fmt, ...)
{
	static void (*fp)(struct archive *, int, const char *, ...);
	void (*f)(struct archive *, int, const char *, ...) = __atomic_load_n(&fp, __ATOMIC_ACQUIRE);
	if (f == NULL) {
		*(void **)&f = la_sym("archive_set_error");
		__atomic_store_n(&fp, f, __ATOMIC_RELEASE);
	}
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f(a, err, "%s", msg);
}
