/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The config block given to a micro-VM's init (capsa-vminit) on a second small disk, and the exit status
 * it writes back to the same disk. A disk rather than the kernel command line: arguments and environment
 * may hold any byte but NUL, with no quoting rules of the kernel's parser and no 4 KiB limit, and the same
 * disk carries the exit status back, exactly, under KVM (virtio-blk) and UML (ubd) alike.
 *
 * Layout: [0, CAPSA_VMCFG_MAX) "CAPSAVM1", a u32 little-endian payload length, then records
 * "<tag><value>\0" (a: argument, e: "K=V", w: cwd, u: "uid:gid", h: hostname, t: "1" for a tty,
 * n: "A.B.C.D/P G.H.I.J" eth0's address, prefix and gateway, H: /etc/hosts, R: /etc/resolv.conf, each
 * the file's whole text, as a container on the same network gets them);
 * [CAPSA_VMCFG_STATUS_OFF, +512) "CAPSAEX1 <code>\n" once the process exited.
 * Kept free of libcapsa so the static init can build it alone.
 */
#ifndef CAPSA_VM_VMCONFIG_H
#define CAPSA_VM_VMCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The block's first bytes: how capsa-vminit tells the config disk from a root disk. */
#define CAPSA_VMCFG_MAGIC "CAPSAVM1"
#define CAPSA_VMCFG_MAX 61440
#define CAPSA_VMCFG_STATUS_OFF 61440
#define CAPSA_VMCFG_SIZE 65536

struct capsa_vmcfg {
	char **argv; /* NULL-terminated */
	size_t argc;
	char **env; /* NULL-terminated */
	size_t n_env;
	char *cwd; /* "/" when absent */
	uint32_t uid, gid;
	char *hostname; /* may be NULL */
	bool tty;
	/* eth0's address (n: "A.B.C.D/P G.H.I.J"): host order; net false: no network. */
	bool net;
	uint32_t net_addr, net_gw;
	unsigned net_prefix; /* 8..30, as capsa's networks */
	/* The guest's /etc/hosts and /etc/resolv.conf (H and R); NULL: the image's own are kept. */
	char *etc_hosts, *etc_resolv;
};

/* Encodes c into buf (CAPSA_VMCFG_SIZE bytes, zeroed here). -1 with *why when it does not fit or is bad. */
int capsa_vmcfg_encode(const struct capsa_vmcfg *c, char *buf, const char **why);
/* Decodes len bytes (at least the config region); -1 with *why on any malformed block. */
int capsa_vmcfg_decode(const char *buf, size_t len, struct capsa_vmcfg *out, const char **why);
void capsa_vmcfg_free(struct capsa_vmcfg *c);
/* Why addr/prefix with gateway gw cannot configure eth0, or NULL when it can. */
const char *capsa_vmcfg_net_check(uint32_t addr, unsigned prefix, uint32_t gw);
/* Parses the n record's value; -1 with *why when malformed or not a usable address. */
int capsa_vmcfg_net_parse(const char *v, uint32_t *addr, unsigned *prefix, uint32_t *gw, const char **why);
/* The status record: formats into rec (512 bytes) / parses it (-1 when absent or malformed). */
void capsa_vmcfg_status_format(int code, char *rec);
int capsa_vmcfg_status_parse(const char *rec, size_t len, int *code);

#endif
