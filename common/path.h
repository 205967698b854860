/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Paths inside a tree that may be hostile (a container rootfs, an image
 * layer being unpacked): resolved with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS), or an O_NOFOLLOW walk where openat2 is missing.
 */
#ifndef CAPSA_PATH_H
#define CAPSA_PATH_H

#include "common/error.h"

#include <sys/types.h>

/* Opens path (absolute or relative) inside root_fd without ever leaving it. */
int capsa_open_in_root(int root_fd, const char *path, int flags, mode_t mode, struct capsa_error **err);
/* mkdir -p inside root; returns an O_PATH fd of the directory. */
int capsa_mkdir_in_root(int root_fd, const char *path, mode_t mode, struct capsa_error **err);
/* Splits "a/b/c" into "a/b" and "c" ("/" and "x" for "x"). Both newly allocated. */
void capsa_split_path(const char *path, char **parent, char **base);

/* path made absolute against the working directory (not resolved: symlinks stay), into buf of size
 * bytes: for a path a later process with another working directory (a container's monitor) uses. */
int capsa_path_absolute(const char *path, char *buf, size_t size, struct capsa_error **err);

/* "/proc/self/fd/N", for mounting onto or reopening an fd. */
#define CAPSA_FD_PATH_MAX 32
void capsa_fd_path(int fd, char buf[CAPSA_FD_PATH_MAX]);

#endif
