/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A micro-VM's root as an initramfs: the flattened image written as one cpio (newc, the format the kernel
 * unpacks into its rootfs) with libarchive's writer, and the rule that picks it over the ext4 disk.
 *
 * An initramfs costs guest RAM (the unpacked files live in the guest's tmpfs, and the archive itself until
 * the kernel frees it after unpacking) but no block device, journal or file system mount: for a small image
 * the VM reaches its process sooner. A large image belongs on the disk, read on demand.
 */
#ifndef CAPSA_VM_INITRAMFS_H
#define CAPSA_VM_INITRAMFS_H

#include "common/error.h"

#include <stdbool.h>
#include <stdint.h>

struct capsa_initramfs_stats {
	uint64_t entries;    /* cpio members written (the root itself is not one) */
	uint64_t file_bytes; /* regular files' contents */
};

/*
 * Writes every file below the directory dirfd (not the directory itself) to out as a newc cpio, names
 * relative ("bin/sh"), sorted per directory so that one tree always gives the same bytes. Modes, owners,
 * mtimes, symlinks (stored as links, never followed), hard links (the data on the first name, later names
 * empty with the same inode number: the kernel links them), FIFOs, sockets and device nodes are kept;
 * xattrs are not. The walk opens every component with O_NOFOLLOW relative to its parent's fd, so a tree
 * changing under it cannot lead it outside. Inode numbers are assigned here (newc has 32 bits).
 * -1 with an error naming the path and the reason; out then holds a partial archive.
 */
int capsa_initramfs_write(int dirfd, int out, struct capsa_initramfs_stats *stats,
			  struct capsa_error **err) CAPSA_WUR;

/* --vm-root: where a micro-VM's root file system comes from. */
enum capsa_vm_root {
	CAPSA_VM_ROOT_AUTO = 0, /* capsa_vm_root_choose() decides */
	CAPSA_VM_ROOT_DISK,	/* the image's cached ext4, copy-on-write */
	CAPSA_VM_ROOT_INITRAMFS,
};

/* "disk", "initramfs" or "auto" (NULL: auto); -1 with "--vm-root X: not disk, initramfs or auto". */
int capsa_vm_root_parse(const char *s, enum capsa_vm_root *out, struct capsa_error **err) CAPSA_WUR;
const char *capsa_vm_root_name(enum capsa_vm_root r);

/*
 * The automatic rule, from bench/vm.sh through User-mode Linux here (README.md): for busybox (2.7 MiB) the
 * two roots start alike, the kernel's own start dominating; at 27 MiB the initramfs took 4% longer and
 * twice the VM's peak memory, at 101 MiB 29% longer and 4.4 times the memory (and did not unpack at all
 * in the default 256 MiB). So: an initramfs when the image is at most CAPSA_VM_INITRAMFS_MAX bytes, where
 * its cost stays in the noise while it saves the ext4 (busybox: a 2.7 MiB cpio against 7.1 MiB allocated
 * for the disk, and no mkfs at the first run), and at most 1/8 of the guest's memory (it is held twice
 * while it unpacks); otherwise the disk. memory 0: 256 MiB, the VM's default. A root asked for explicitly
 * is returned as it is.
 */
#define CAPSA_VM_INITRAMFS_MAX (16ULL << 20)
enum capsa_vm_root capsa_vm_root_choose(enum capsa_vm_root asked, uint64_t image_bytes, uint64_t memory);

#endif
