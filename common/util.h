/* SPDX-License-Identifier: GPL-2.0-or-later */
/* File, path and string helpers shared by every library folder. */
#ifndef CAPSA_UTIL_H
#define CAPSA_UTIL_H

#include "cleanup.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Reads a whole file (at most max bytes, 0 = 64 MiB) into a NUL-terminated buffer. */
int capsa_read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len,
		       struct capsa_error **err) CAPSA_WUR;
int capsa_read_fd(int fd, size_t max, char **out, size_t *len, struct capsa_error **err) CAPSA_WUR;

/* Writes a file atomically: temp file in the same directory, fsync, rename, fsync of the directory. */
int capsa_write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			       struct capsa_error **err) CAPSA_WUR;
/* Writes into an existing file (for /proc and /sys knobs): open O_WRONLY, one write. */
int capsa_write_existing_at(int dirfd, const char *path, const char *data, size_t len,
			    struct capsa_error **err) CAPSA_WUR;
/* Like write(2) but loops over short writes and EINTR. */
ssize_t capsa_write_all(int fd, const void *buf, size_t len);
/* 64-bit FNV-1a: a fast hash for checksums and names, not for anything an attacker may choose. */
uint64_t capsa_fnv1a64(const void *data, size_t len);
ssize_t capsa_read_all(int fd, void *buf, size_t len);

int capsa_mkdir_p(const char *path, mode_t mode, struct capsa_error **err) CAPSA_WUR;
/* Removes name under dirfd recursively without following symlinks. Returns -1 with errno set. */
int capsa_rm_rf_at(int dirfd, const char *name);
/* Bytes allocated to name (below dirfd) and, for a directory, everything under it; symlinks are not
 * followed, a file with n hard links counts 1/n of its blocks. Unreadable parts count as nothing. */
uint64_t capsa_disk_usage_at(int dirfd, const char *name);

size_t capsa_strv_len(char *const *v);
bool capsa_strv_contains(char *const *v, const char *s);
char **capsa_strv_dup(char *const *v, size_t n);
/* Appends a copy of s; *v is NULL-terminated. */
void capsa_strv_push(char ***v, const char *s);

bool capsa_str_has_prefix(const char *s, const char *prefix);

/* RFC 3339 with nanoseconds in UTC, e.g. 2026-11-28T12:00:00.123456789Z. */
char *capsa_time_rfc3339(const struct timespec *ts);

/* Parses a whole decimal integer; rejects trailing garbage and overflow. */
int capsa_parse_u64(const char *s, uint64_t *out);
int capsa_parse_i64(const char *s, int64_t *out);

/* The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), 0 if gone. */
uint64_t capsa_proc_start_time(pid_t pid);

/* Marks every fd >= first close-on-exec. */
int capsa_cloexec_from(int first);

#endif
