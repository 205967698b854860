/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tap devices for micro-VMs: a tap made through /dev/net/tun, enslaved to a capsa bridge and set up, so the
 * VM's virtio-net (or UML's tuntap transport) sits on the same L2 segment as the network's containers.
 */
#ifndef CAPSA_NETNS_TAP_H
#define CAPSA_NETNS_TAP_H

#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>

/* A tap name is at most IFNAMSIZ - 1 characters. */
#define CAPSA_TAP_NAME_MAX 15

/*
 * "capsa-t" followed by as much of id as fits in CAPSA_TAP_NAME_MAX; id must be [a-zA-Z0-9_.-]+ (a
 * container id or a test's own key). buf holds at least CAPSA_TAP_NAME_MAX + 1 bytes.
 */
int capsa_tap_name_build(const char *id, char *buf, size_t size, struct capsa_error **err) CAPSA_WUR;
/* A tap name capsa will create or delete: "capsa-" followed by [a-zA-Z0-9_.-], 7..15 characters. */
int capsa_tap_name_validate(const char *name, struct capsa_error **err) CAPSA_WUR;

enum {
	CAPSA_TAP_VNET_HDR = 1 << 0, /* frames carry a struct virtio_net_hdr (for a virtio-net backend) */
	CAPSA_TAP_PERSIST = 1 << 1,  /* the device outlives the fd (UML opens it again by name) */
};

/*
 * Creates the tap name (it must not exist), enslaves it to bridge (when not NULL) and sets it up. Returns
 * the tap's fd (O_CLOEXEC, O_NONBLOCK); on failure nothing is left behind.
 */
int capsa_tap_create(const char *name, const char *bridge, unsigned flags,
		     struct capsa_error **err) CAPSA_WUR;
/* Deletes the tap (persistent or not); 0 when it was not there. */
int capsa_tap_delete(const char *name, struct capsa_error **err) CAPSA_WUR;
/* Whether name is a tap (a tun device in tap mode). */
bool capsa_tap_is_tap(const char *name);

#endif
