/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pure half of published ports (engine/network.c does the locking, the kernel and the files): the
 * lines of the host-port registry networks/ports ("PROTO PORT ID") and of an IPAM file ("ADDRESS ID"), and
 * the port lists of a container's network record.
 */
#ifndef CAPSA_ENGINE_NET_PORTS_H
#define CAPSA_ENGINE_NET_PORTS_H

#include "netns/netns.h"

#include <stdbool.h>
#include <stddef.h>

struct json_object;

/* text without the lines whose last field is id (and without empty lines); caller frees. */
char *engine_net_lines_drop(const char *text, const char *id);
/* Whether a line of the registry text holds m's protocol and host port (whoever holds it). */
bool engine_net_port_registered(const char *text, const struct capsa_port_map *m);
/* The record's array of maps: [{"Proto","HostIp","HostPort","ContainerPort"}...]. */
struct json_object *engine_net_ports_json(const struct capsa_port_map *m, size_t n);
/* The array under key of the record o into *m (*n entries; entries that are not a tcp or udp map with a
 * container port of 1-65535, a host port of 0-65535 and a dotted-quad-sized host address are skipped):
 * false, with *m NULL, when o has no such array. */
bool engine_net_ports_parse(struct json_object *o, const char *key, struct capsa_port_map **m, size_t *n);

#endif
