/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netns/: bridge networking for containers. Pure parsers (port specs, subnets, the address
 * allocator's choice), links through libnl (bridge, veth pair, the container's eth0, routes) and NAT
 * through libnftables (one table per network). IPv4 only.
 */
#ifndef CAPSA_NETNS_H
#define CAPSA_NETNS_H

#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- pure parsers and helpers (unit-tested, fuzzed) ------------------------------------------------ */

struct capsa_port_map {
	char proto[4];	    /* "tcp" or "udp" */
	char host_ip[16];   /* dotted quad; "" = every address (0.0.0.0) */
	uint16_t host_port; /* 0: an ephemeral port chosen at create */
	uint16_t ctr_port;
};

/*
 * One -p/--publish value: [IP:][HOSTPORT:]CTRPORT[/tcp|udp]; ports may be ranges A-B (a host range must
 * be as long as the container range). Appends one map per container port to *maps.
 */
int capsa_port_spec_parse(const char *spec, struct capsa_port_map **maps, size_t *n,
			  struct capsa_error **err) CAPSA_WUR;
/* An image's ExposedPorts key: "80/tcp", "53/udp", "8080" (tcp). */
int capsa_port_exposed_parse(const char *key, struct capsa_port_map *out, struct capsa_error **err) CAPSA_WUR;

/* Dotted quad to a host-order address. */
int capsa_ipv4_parse(const char *s, uint32_t *addr);
/* Host-order address to a dotted quad (buf of 16 bytes). */
const char *capsa_ipv4_str(uint32_t addr, char *buf);
/* "10.88.0.0/16": the network address must have no host bits; prefixes 8..30. */
int capsa_cidr_parse(const char *s, uint32_t *net, int *prefix, struct capsa_error **err) CAPSA_WUR;
bool capsa_cidr_contains(uint32_t net, int prefix, uint32_t addr);
/*
 * The lowest free host address of net/prefix that is not the network or broadcast address, not gw and not
 * in used[]. -1 with ENOSPC when the subnet is full.
 */
int capsa_ipam_pick(uint32_t net, int prefix, uint32_t gw, const uint32_t *used, size_t n_used,
		    uint32_t *out);
/* A network name: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 64 characters. */
int capsa_network_name_validate(const char *name, struct capsa_error **err) CAPSA_WUR;
/* An interface name: 1..15 characters, no '/', ':' or blanks. */
int capsa_ifname_validate(const char *name, struct capsa_error **err) CAPSA_WUR;
/* A locally administered MAC derived from the address, like docker's 02:42:a.b.c.d. */
void capsa_mac_from_ipv4(uint32_t addr, uint8_t mac[6]);
/* resolv.conf for a container: the host's without loopback nameservers; when none remains, the
 * fallback nameserver is added. Caller frees. */
char *capsa_resolv_conf_filter(const char *host, const char *fallback_ns);

/* ---- the network namespace and links (libnl) ------------------------------------------------------ */

/* Makes a new network namespace (in a child: unshare) and bind-mounts it at path (a new file). */
int capsa_netns_create(const char *path, struct capsa_error **err) CAPSA_WUR;
/* Unmounts and unlinks path; 0 when there was nothing. */
int capsa_netns_remove(const char *path, struct capsa_error **err) CAPSA_WUR;
/* Creates the bridge when missing, gives it gw/prefix, turns it up; route_localnet on (published ports on
 * 127.0.0.1 are DNATed out through it). */
int capsa_bridge_ensure(const char *name, uint32_t gw, int prefix, struct capsa_error **err) CAPSA_WUR;
/* Deletes a link by name; 0 when it was not there. */
/* Puts the existing link name on bridge (if not NULL) and up, in one change. */
int capsa_link_attach(const char *name, const char *bridge, struct capsa_error **err) CAPSA_WUR;
int capsa_link_delete(const char *name, struct capsa_error **err) CAPSA_WUR;
bool capsa_link_exists(const char *name);
/*
 * A veth pair: host_name enslaved to bridge and up; the peer made directly inside the namespace nsfd as
 * eth0 with mac, given addr/prefix and a default route via gw; lo up.
 */
int capsa_veth_attach(const char *host_name, const char *bridge, int nsfd, const uint8_t mac[6],
		      uint32_t addr, int prefix, uint32_t gw, struct capsa_error **err) CAPSA_WUR;
/* net.ipv4.ip_forward = 1. */
int capsa_ip_forward_enable(struct capsa_error **err) CAPSA_WUR;

/* ---- NAT (libnftables) ---------------------------------------------------------------------------- */

/* The table "capsa-<network>" with masquerade for the subnet and the port map; kept when it exists. */
int capsa_nft_network_ensure(const char *network, uint32_t net, int prefix, const char *bridge,
			     struct capsa_error **err) CAPSA_WUR;
/* Deletes the table (and so every rule of the network); 0 when it was not there. */
int capsa_nft_network_delete(const char *network, struct capsa_error **err) CAPSA_WUR;
bool capsa_nft_network_exists(const char *network);
/* DNAT of the container's published ports: a chain "c-<key>" and one port-map element per host port. */
int capsa_nft_ports_add(const char *network, const char *key, uint32_t ctr_addr,
			const struct capsa_port_map *m, size_t n, struct capsa_error **err) CAPSA_WUR;
/* Removes what capsa_nft_ports_add made (every step tried; missing pieces are not errors). */
void capsa_nft_ports_delete(const char *network, const char *key, const struct capsa_port_map *m, size_t n);

#endif
