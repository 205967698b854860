/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Links through libnl: the bridge, the veth pair and, inside the container's namespace, eth0, lo and the
 * default route. The namespace itself is made by a child that unshares and bind-mounts it.
 */
#define _GNU_SOURCE
#include "netns/netns.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <arpa/inet.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void nl_sockp(struct nl_sock **s)
{
	if (*s)
		nl_socket_free(*s);
}
static void rtnl_linkp(struct rtnl_link **l)
{
	if (*l)
		rtnl_link_put(*l);
}
static void nl_addrp(struct nl_addr **a)
{
	if (*a)
		nl_addr_put(*a);
}
#define _cleanup_nlsock_ __attribute__((cleanup(nl_sockp)))
#define _cleanup_link_ __attribute__((cleanup(rtnl_linkp)))
#define _cleanup_nladdr_ __attribute__((cleanup(nl_addrp)))

/* libnl returns negative NLE_* codes; this maps the common ones to errno for the message. */
static int nl_errno(int nle)
{
	switch (-nle) {
	case NLE_EXIST:
		return EEXIST;
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV:
		return ENODEV;
	case NLE_PERM:
		return EPERM;
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_BUSY:
		return EBUSY;
	case NLE_RANGE:
		return ERANGE;
	default:
		return 0;
	}
}

static int nl_fail(struct capsa_error **err, int nle, const char *what)
{
	int e = nl_errno(nle);
	if (e)
		return capsa_error_set(err, e, "%s", what);
	return capsa_error_set(err, 0, "%s: %s", what, nl_geterror(nle));
}

static struct nl_sock *route_sock(struct capsa_error **err)
{
	struct nl_sock *s = nl_socket_alloc();
	if (s == NULL) {
		capsa_error_set(err, ENOMEM, "netlink socket");
		return NULL;
	}
	int r = nl_connect(s, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(s);
		nl_fail(err, r, "connect to rtnetlink");
		return NULL;
	}
	return s;
}

/* A netlink socket inside the namespace nsfd: a socket stays in the namespace it was made in, so only
 * this thread visits the namespace for a moment. */
static struct nl_sock *route_sock_in(int nsfd, struct capsa_error **err)
{
	_cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		capsa_error_errno(err, "open /proc/thread-self/ns/net");
		return NULL;
	}
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		capsa_error_errno(err, "enter the container's network namespace");
		return NULL;
	}
	struct nl_sock *s = route_sock(err);
	if (setns(self, CLONE_NEWNET) < 0)
		abort(); /* going on in the container's namespace would configure the wrong host */
	return s;
}

int capsa_netns_create(const char *path, struct capsa_error **err)
{
	int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0)
		return capsa_error_errno(err, "create %s", path);
	close(fd);
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		unlink(path);
		return capsa_error_errno(err, "pipe");
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		unlink(path);
		return capsa_error_errno(err, "fork");
	}
	if (pid == 0) {
		close(pfd[0]);
		int e = 0;
		/* The child's own namespace, pinned by a bind mount on a file we just created (O_EXCL). */
		if (unshare(CLONE_NEWNET) < 0 || mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
			e = errno;
		(void)!write(pfd[1], &e, sizeof(e));
		_exit(0);
	}
	close(pfd[1]);
	int e = EPROTO;
	ssize_t r = read(pfd[0], &e, sizeof(e));
	close(pfd[0]);
	waitpid(pid, NULL, 0);
	if (r != (ssize_t)sizeof(e) || e != 0) {
		unlink(path);
		return capsa_error_set(err, e, "make the network namespace %s", path);
	}
	return 0;
}

int capsa_netns_remove(const char *path, struct capsa_error **err)
{
	if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
		return capsa_error_errno(err, "unmount %s", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return capsa_error_errno(err, "remove %s", path);
	return 0;
}

bool capsa_link_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}

int capsa_link_delete(const char *name, struct capsa_error **err)
{
	_cleanup_nlsock_ struct nl_sock *s = route_sock(err);
	if (s == NULL)
		return -1;
	_cleanup_link_ struct rtnl_link *l = rtnl_link_alloc();
	rtnl_link_set_name(l, name);
	int r = rtnl_link_delete(s, l);
	if (r < 0 && r != -NLE_NODEV && r != -NLE_OBJ_NOTFOUND)
		return nl_fail(err, r, name);
	return 0;
}

static struct nl_addr *ipv4_addr(uint32_t a, int prefix)
{
	uint32_t be = htonl(a);
	struct nl_addr *n = nl_addr_build(AF_INET, &be, 4);
	if (n == NULL)
		abort();
	nl_addr_set_prefixlen(n, prefix);
	return n;
}

static int addr_add(struct nl_sock *s, int ifindex, uint32_t a, int prefix, struct capsa_error **err)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	_cleanup_nladdr_ struct nl_addr *local = ipv4_addr(a, prefix);
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_local(ra, local);
	int r = rtnl_addr_add(s, ra, NLM_F_CREATE | NLM_F_REPLACE);
	rtnl_addr_put(ra);
	if (r < 0) {
		char b[16];
		_cleanup_free_ char *what = xasprintf("add address %s/%d", capsa_ipv4_str(a, b), prefix);
		return nl_fail(err, r, what);
	}
	return 0;
}

static int link_up(struct nl_sock *s, const char *name, struct capsa_error **err)
{
	_cleanup_link_ struct rtnl_link *l = NULL;
	int r = rtnl_link_get_kernel(s, 0, name, &l);
	if (r < 0)
		return nl_fail(err, r, name);
	_cleanup_link_ struct rtnl_link *ch = rtnl_link_alloc();
	rtnl_link_set_flags(ch, IFF_UP);
	r = rtnl_link_change(s, l, ch, 0);
	if (r < 0) {
		_cleanup_free_ char *what = xasprintf("set %s up", name);
		return nl_fail(err, r, what);
	}
	return 0;
}

int capsa_link_attach(const char *name, const char *bridge, struct capsa_error **err)
{
	_cleanup_nlsock_ struct nl_sock *s = route_sock(err);
	if (s == NULL)
		return -1;
	_cleanup_link_ struct rtnl_link *l = NULL;
	int r = rtnl_link_get_kernel(s, 0, name, &l);
	if (r < 0)
		return nl_fail(err, r, name);
	_cleanup_link_ struct rtnl_link *ch = rtnl_link_alloc();
	if (bridge) {
		int bridx = (int)if_nametoindex(bridge);
		if (bridx == 0)
			return capsa_error_errno(err, "bridge %s", bridge);
		rtnl_link_set_master(ch, bridx);
	}
	/* Master and IFF_UP in one change, so the link never forwards while detached from the bridge. */
	rtnl_link_set_flags(ch, IFF_UP);
	r = rtnl_link_change(s, l, ch, 0);
	if (r < 0) {
		_cleanup_free_ char *what = bridge ? xasprintf("attach %s to bridge %s", name, bridge)
						   : xasprintf("set %s up", name);
		return nl_fail(err, r, what);
	}
	return 0;
}

static int write_knob(const char *path, const char *val, struct capsa_error **err)
{
	if (capsa_write_existing_at(AT_FDCWD, path, val, strlen(val), err) < 0)
		return -1;
	return 0;
}

int capsa_ip_forward_enable(struct capsa_error **err)
{
	return write_knob("/proc/sys/net/ipv4/ip_forward", "1", err);
}

int capsa_bridge_ensure(const char *name, uint32_t gw, int prefix, struct capsa_error **err)
{
	if (capsa_ifname_validate(name, err) < 0)
		return -1;
	_cleanup_nlsock_ struct nl_sock *s = route_sock(err);
	if (s == NULL)
		return -1;
	if (!capsa_link_exists(name)) {
		_cleanup_link_ struct rtnl_link *br = rtnl_link_bridge_alloc();
		rtnl_link_set_name(br, name);
		int r = rtnl_link_add(s, br, NLM_F_CREATE | NLM_F_EXCL);
		/* Another capsa may have made it a moment ago: that is the same bridge. */
		if (r < 0 && r != -NLE_EXIST) {
			_cleanup_free_ char *what = xasprintf("create bridge %s", name);
			return nl_fail(err, r, what);
		}
	}
	int idx = (int)if_nametoindex(name);
	if (idx == 0)
		return capsa_error_errno(err, "bridge %s", name);
	if (addr_add(s, idx, gw, prefix, err) < 0 || link_up(s, name, err) < 0)
		return capsa_error_prefix(err, "bridge %s", name);
	/* DNAT of 127.0.0.1:PORT sends packets with a loopback source out of the bridge. */
	_cleanup_free_ char *knob = xasprintf("/proc/sys/net/ipv4/conf/%s/route_localnet", name);
	return write_knob(knob, "1", err);
}

int capsa_veth_attach(const char *host_name, const char *bridge, int nsfd, const uint8_t mac[6],
		      uint32_t addr, int prefix, uint32_t gw, struct capsa_error **err)
{
	if (capsa_ifname_validate(host_name, err) < 0)
		return -1;
	_cleanup_nlsock_ struct nl_sock *s = route_sock(err);
	if (s == NULL)
		return -1;
	int bridx = (int)if_nametoindex(bridge);
	if (bridx == 0)
		return capsa_error_errno(err, "bridge %s", bridge);
	_cleanup_link_ struct rtnl_link *veth = rtnl_link_veth_alloc();
	if (veth == NULL)
		return capsa_error_set(err, ENOMEM, "veth");
	rtnl_link_set_name(veth, host_name);
	rtnl_link_set_master(veth, bridx);
	rtnl_link_set_flags(veth, IFF_UP);
	struct rtnl_link *peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(peer, "eth0");
	/* Made directly in the container's namespace: no eth0 ever appears on the host. */
	rtnl_link_set_ns_fd(peer, nsfd);
	_cleanup_nladdr_ struct nl_addr *ll = nl_addr_build(AF_LLC, mac, 6);
	rtnl_link_set_addr(peer, ll);
	int r = rtnl_link_add(s, veth, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(peer);
	if (r < 0) {
		_cleanup_free_ char *what = xasprintf("create veth %s", host_name);
		return nl_fail(err, r, what);
	}

	_cleanup_nlsock_ struct nl_sock *in = route_sock_in(nsfd, err);
	if (in == NULL)
		return -1;
	if (link_up(in, "lo", err) < 0)
		return -1;
	_cleanup_link_ struct rtnl_link *eth0 = NULL;
	r = rtnl_link_get_kernel(in, 0, "eth0", &eth0);
	if (r < 0)
		return nl_fail(err, r, "eth0 in the container");
	if (addr_add(in, rtnl_link_get_ifindex(eth0), addr, prefix, err) < 0 || link_up(in, "eth0", err) < 0)
		return capsa_error_prefix(err, "eth0");

	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	_cleanup_nladdr_ struct nl_addr *via = ipv4_addr(gw, 32);
	_cleanup_nladdr_ struct nl_addr *dst = ipv4_addr(0, 0);
	rtnl_route_nh_set_gateway(nh, via);
	rtnl_route_nh_set_ifindex(nh, rtnl_link_get_ifindex(eth0));
	rtnl_route_add_nexthop(rt, nh);
	rtnl_route_set_family(rt, AF_INET);
	rtnl_route_set_dst(rt, dst);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, RTPROT_BOOT);
	rtnl_route_set_scope(rt, RT_SCOPE_UNIVERSE);
	r = rtnl_route_add(in, rt, NLM_F_CREATE);
	rtnl_route_put(rt);
	if (r < 0) {
		char b[16];
		_cleanup_free_ char *what = xasprintf("default route via %s", capsa_ipv4_str(gw, b));
		return nl_fail(err, r, what);
	}
	return 0;
}
