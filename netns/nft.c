/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAT through libnftables. Each network has its own table "capsa-<network>", so removing the network
 * removes every rule it ever had. Published ports: a verdict map keyed by protocol and host port jumps to
 * the container's own chain "c-<key>" (its DNAT rules); removing a container deletes its map elements and
 * its chain, nothing else.
 */
#define _GNU_SOURCE
#include "netns/netns.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <dlfcn.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <string.h>

/*
 * libnftables is loaded at the first rule change, not linked: it brings 6 more shared libraries (jansson,
 * gmp, xtables, ...) to every process start, and only bridge networks use it.
 */
static struct {
	struct nft_ctx *(*ctx_new)(uint32_t flags);
	void (*ctx_free)(struct nft_ctx *ctx);
	int (*ctx_buffer_output)(struct nft_ctx *ctx);
	int (*ctx_buffer_error)(struct nft_ctx *ctx);
	const char *(*ctx_get_error_buffer)(struct nft_ctx *ctx);
	int (*run_cmd_from_buffer)(struct nft_ctx *nft, const char *buf);
} nft;
static pthread_once_t nft_once = PTHREAD_ONCE_INIT;
static char nft_load_error[256];

static void nft_load(void)
{
	void *h = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(nft_load_error, sizeof(nft_load_error), "%s (install libnftables1)", dlerror());
		return;
	}
	static const char *const names[] = {"nft_ctx_new",
					    "nft_ctx_free",
					    "nft_ctx_buffer_output",
					    "nft_ctx_buffer_error",
					    "nft_ctx_get_error_buffer",
					    "nft_run_cmd_from_buffer"};
	void **slots[] = {(void **)&nft.ctx_new,
			  (void **)&nft.ctx_free,
			  (void **)&nft.ctx_buffer_output,
			  (void **)&nft.ctx_buffer_error,
			  (void **)&nft.ctx_get_error_buffer,
			  (void **)&nft.run_cmd_from_buffer};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if ((*slots[i] = dlsym(h, names[i])) == NULL) {
			snprintf(nft_load_error, sizeof(nft_load_error), "libnftables.so.1 has no %s",
				 names[i]);
			nft.run_cmd_from_buffer = NULL;
			return;
		}
	}
}

static void nft_ctxp(struct nft_ctx **c)
{
	if (*c)
		nft.ctx_free(*c);
}
#define _cleanup_nft_ __attribute__((cleanup(nft_ctxp)))

/* Runs commands; on failure the error names what and carries nft's own message (first line). */
static int nft_run(const char *cmds, const char *what, struct capsa_error **err)
{
	pthread_once(&nft_once, nft_load);
	if (nft.run_cmd_from_buffer == NULL)
		return capsa_error_set(err, 0, "%s: %s", what, nft_load_error);
	_cleanup_nft_ struct nft_ctx *ctx = nft.ctx_new(NFT_CTX_DEFAULT);
	if (ctx == NULL)
		return capsa_error_set(err, ENOMEM, "%s: nftables context", what);
	nft.ctx_buffer_output(ctx);
	nft.ctx_buffer_error(ctx);
	if (nft.run_cmd_from_buffer(ctx, cmds) == 0)
		return 0;
	const char *msg = nft.ctx_get_error_buffer(ctx);
	_cleanup_free_ char *first = xstrndup(msg ? msg : "", msg ? strcspn(msg, "\n") : 0);
	capsa_debug("nft failed: %s\n%s", cmds, msg ? msg : "");
	return capsa_error_set(err, 0, "%s: %s", what, *first ? first : "nftables refused the rules");
}

bool capsa_nft_network_exists(const char *network)
{
	_cleanup_free_ char *cmd = xasprintf("list table ip capsa-%s", network);
	return nft_run(cmd, "list", NULL) == 0;
}

int capsa_nft_network_ensure(const char *network, uint32_t net, int prefix, const char *bridge,
			     struct capsa_error **err)
{
	if (capsa_network_name_validate(network, err) < 0 || capsa_ifname_validate(bridge, err) < 0)
		return -1;
	if (capsa_nft_network_exists(network))
		return 0;
	char n[16];
	capsa_ipv4_str(net, n);
	/* Built in one transaction: either the whole table is there or none of it. */
	_cleanup_free_ char *cmds =
		xasprintf("table ip capsa-%1$s {\n"
			  "  map ports { type inet_proto . inet_service : verdict; }\n"
			  "  chain prerouting { type nat hook prerouting priority -100; policy accept;\n"
			  "    fib daddr type local meta l4proto . th dport vmap @ports; }\n"
			  "  chain output { type nat hook output priority -100; policy accept;\n"
			  "    fib daddr type local meta l4proto . th dport vmap @ports; }\n"
			  "  chain postrouting { type nat hook postrouting priority 100; policy accept;\n"
			  "    ip saddr %2$s/%3$d oifname != \"%4$s\" masquerade;\n"
			  "    oifname \"%4$s\" ip saddr 127.0.0.0/8 masquerade;\n"
			  "    oifname \"%4$s\" ct status dnat ip saddr %2$s/%3$d masquerade; }\n"
			  "  chain forward { type filter hook forward priority 0; policy accept;\n"
			  "    iifname \"%4$s\" accept; oifname \"%4$s\" accept; }\n"
			  "}\n",
			  network, n, prefix, bridge);
	_cleanup_free_ char *what = xasprintf("nftables table capsa-%s", network);
	return nft_run(cmds, what, err);
}

int capsa_nft_network_delete(const char *network, struct capsa_error **err)
{
	if (!capsa_nft_network_exists(network))
		return 0;
	_cleanup_free_ char *cmd = xasprintf("delete table ip capsa-%s", network);
	_cleanup_free_ char *what = xasprintf("delete nftables table capsa-%s", network);
	return nft_run(cmd, what, err);
}

int capsa_nft_ports_add(const char *network, const char *key, uint32_t ctr_addr,
			const struct capsa_port_map *m, size_t n, struct capsa_error **err)
{
	if (n == 0)
		return 0;
	char a[16];
	capsa_ipv4_str(ctr_addr, a);
	size_t cap = 256 + n * 256;
	_cleanup_free_ char *cmds = xmalloc(cap);
	size_t len = (size_t)snprintf(cmds, cap, "add chain ip capsa-%s c-%s\n", network, key);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *match =
			m[i].host_ip[0] ? xasprintf("ip daddr %s ", m[i].host_ip) : xstrdup("");
		len += (size_t)snprintf(
			cmds + len, cap - len,
			"add rule ip capsa-%s c-%s %smeta l4proto %s th dport %u dnat to %s:%u\n"
			"add element ip capsa-%s ports { %s . %u : jump c-%s }\n",
			network, key, match, m[i].proto, m[i].host_port, a, m[i].ctr_port, network,
			m[i].proto, m[i].host_port, key);
	}
	_cleanup_free_ char *what = xasprintf("publish ports in nftables table capsa-%s", network);
	return nft_run(cmds, what, err);
}

void capsa_nft_ports_delete(const char *network, const char *key, const struct capsa_port_map *m, size_t n)
{
	/* One transaction when every piece is there (the usual case): each commit that deletes waits for
	 * an RCU grace period in the kernel, about 10 ms here. nftables 1.0.6 has no "destroy" that
	 * ignores a missing piece, so when one is gone the transaction fails as a whole and the pieces go
	 * one at a time, so that the missing one does not keep the others. */
	size_t cap = 128 + n * 128;
	_cleanup_free_ char *all = xmalloc(cap);
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(all + len, cap - len,
					"delete element ip capsa-%s ports { %s . %u }\n", network, m[i].proto,
					m[i].host_port);
	snprintf(all + len, cap - len, "delete chain ip capsa-%s c-%s\n", network, key);
	if (nft_run(all, "unpublish", NULL) == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *cmd = xasprintf("delete element ip capsa-%s ports { %s . %u }", network,
						     m[i].proto, m[i].host_port);
		(void)nft_run(cmd, "unpublish", NULL);
	}
	_cleanup_free_ char *cmd = xasprintf("delete chain ip capsa-%s c-%s", network, key);
	(void)nft_run(cmd, "unpublish", NULL);
}
