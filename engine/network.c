/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bridge networks for containers and micro-VMs: the network store, addresses and published ports, and what
 * a container gets (a network namespace with eth0 on the network's bridge, NAT, /etc files) and gives back;
 * a micro-VM gets the same through one path (join), with a persistent tap instead of namespace and veth.
 *
 * Layout under the store root:
 *   networks/lock             flock: network create/remove and each container's allocation
 *   networks/<name>/network.json
 *   networks/<name>/ipam      "ADDRESS ID" lines: the addresses in use (under its own flock)
 *   networks/ports            "PROTO PORT ID" lines: host ports published by capsa (under its own flock)
 *   containers/<id>/network.json  what the container holds: written before anything is made, so that
 *                             removal (even after kill -9 of everything) knows what to release; its
 *                             PortBindings (what run asked) stay, its Ports (the host ports held) only
 *                             while it runs: its end releases them, its start takes them again
 * The container's namespace is bind-mounted at <run root>/netns/<id>.
 */
#define _GNU_SOURCE
#include "engine/internal.h"
#include "engine/net_ports.h"
#include "engine/vm_kvm.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "netns/netns.h"
#include "netns/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <json-c/json.h>
#include <linux/magic.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>

#define DEFAULT_NETWORK "bridge"
#define DEFAULT_BRIDGE "capsa0"
#define DEFAULT_SUBNET "10.88.0.0/16"
#define NET_STATE_FILE "network.json"

struct net_cfg {
	char *name, *id, *created, *bridge;
	uint32_t net, gw;
	int prefix;
};

static void net_cfg_clear(struct net_cfg *n)
{
	free(n->name);
	free(n->id);
	free(n->created);
	free(n->bridge);
	memset(n, 0, sizeof(*n));
}

/* What a container holds on its network (containers/<id>/network.json). */
struct net_state {
	char *network, *bridge, *veth, *netns, *key;
	uint32_t addr, gw;
	int prefix;
	uint8_t mac[6];
	/* binds: what run asked for (host port 0: an ephemeral one at each start); ports: what the container
	 * holds now, empty while it is stopped. */
	struct capsa_port_map *binds, *ports;
	size_t n_binds, n_ports;
};

static void net_state_clear(struct net_state *s)
{
	free(s->network);
	free(s->bridge);
	free(s->veth);
	free(s->netns);
	free(s->key);
	free(s->binds);
	free(s->ports);
	memset(s, 0, sizeof(*s));
}

static bool builtin(const char *name)
{
	return !strcmp(name, "bridge") || !strcmp(name, "host") || !strcmp(name, "none");
}

const char *capsa_engine_default_network(void)
{
	const char *d = getenv("CAPSA_DEFAULT_NETWORK");
	return d && *d ? d : DEFAULT_NETWORK;
}

static char *random_hex(size_t bytes)
{
	unsigned char b[32];
	if (bytes > sizeof(b) || getrandom(b, bytes, 0) != (ssize_t)bytes)
		abort();
	char *s = xmalloc(2 * bytes + 1);
	for (size_t i = 0; i < bytes; i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	return s;
}

static char *now_rfc3339(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return capsa_time_rfc3339(&ts);
}

static int networks_dir(struct capsa_engine *e, struct capsa_error **err)
{
	if (mkdirat(e->root_fd, "networks", 0700) < 0 && errno != EEXIST)
		return capsa_error_errno(err, "mkdir %s/networks", e->root);
	int fd = openat(e->root_fd, "networks", O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return capsa_error_errno(err, "open %s/networks", e->root);
	return fd;
}

/* Opens (creating) and flocks a file under networks/; the fd holds the lock. */
static int lock_file(int dirfd, const char *name, struct capsa_error **err)
{
	int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return capsa_error_errno(err, "open networks/%s", name);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			capsa_error_errno(err, "lock networks/%s", name);
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* The whole text of a locked file. */
static char *read_locked(int fd)
{
	char *text = NULL;
	size_t len;
	struct capsa_error *e2 = NULL;
	if (lseek(fd, 0, SEEK_SET) < 0 || capsa_read_fd(fd, 1 << 22, &text, &len, &e2) < 0) {
		capsa_error_free(e2);
		return xstrdup("");
	}
	return text;
}

static int rewrite_locked(int fd, const char *text, const char *what, struct capsa_error **err)
{
	size_t len = strlen(text);
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
	    capsa_write_all(fd, text, len) != (ssize_t)len)
		return capsa_error_errno(err, "write %s", what);
	return 0;
}

/*
 * Keeps the lines whose container still has its directory: a capsa killed between taking an address (or a
 * port) and writing the container's network record leaves a line nobody would release. The directory is
 * made before any allocation, so a container being created is never taken for stale.
 */
static char *drop_stale(struct capsa_engine *e, char *text)
{
	char *out = xmalloc(strlen(text) + 1);
	size_t len = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		const char *sp = memrchr(p, ' ', l);
		_cleanup_free_ char *id = sp ? xstrndup(sp + 1, (size_t)(p + l - sp - 1)) : NULL;
		if (id && *id && strchr(id, '/') == NULL && id[0] != '.' &&
		    faccessat(e->containers_fd, id, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			memcpy(out + len, p, l);
			len += l;
			out[len++] = '\n';
		}
		p += l + (nl ? 1 : 0);
	}
	out[len] = '\0';
	free(text);
	return out;
}

/* ---- the network store ----------------------------------------------------------------------------- */

static char *net_cfg_json(const struct net_cfg *n)
{
	char a[16], g[16];
	json_object *o = json_object_new_object();
	json_object_object_add(o, "Name", json_object_new_string(n->name));
	json_object_object_add(o, "Id", json_object_new_string(n->id));
	json_object_object_add(o, "Created", json_object_new_string(n->created));
	json_object_object_add(o, "Driver", json_object_new_string("bridge"));
	_cleanup_free_ char *sub = xasprintf("%s/%d", capsa_ipv4_str(n->net, a), n->prefix);
	json_object_object_add(o, "Subnet", json_object_new_string(sub));
	json_object_object_add(o, "Gateway", json_object_new_string(capsa_ipv4_str(n->gw, g)));
	json_object_object_add(o, "Bridge", json_object_new_string(n->bridge));
	char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int net_cfg_parse(const char *text, const char *name, struct net_cfg *n, struct capsa_error **err)
{
	json_object *o = json_tokener_parse(text);
	const char *id = o ? jstr(o, "Id") : NULL, *sub = o ? jstr(o, "Subnet") : NULL;
	const char *gw = o ? jstr(o, "Gateway") : NULL, *br = o ? jstr(o, "Bridge") : NULL;
	const char *created = o ? jstr(o, "Created") : NULL;
	int r = 0;
	if (!id || !sub || !gw || !br || capsa_cidr_parse(sub, &n->net, &n->prefix, NULL) < 0 ||
	    capsa_ipv4_parse(gw, &n->gw) < 0 || capsa_ifname_validate(br, NULL) < 0) {
		r = capsa_error_set(err, EINVAL, "network %s: damaged networks/%s/network.json", name, name);
	} else {
		n->name = xstrdup(name);
		n->id = xstrdup(id);
		n->bridge = xstrdup(br);
		n->created = xstrdup(created ? created : "");
	}
	json_object_put(o);
	return r;
}

static int net_cfg_write(int ndir, const struct net_cfg *n, struct capsa_error **err)
{
	if (mkdirat(ndir, n->name, 0700) < 0 && errno != EEXIST)
		return capsa_error_errno(err, "mkdir networks/%s", n->name);
	_cleanup_close_ int d = openat(ndir, n->name, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (d < 0)
		return capsa_error_errno(err, "open networks/%s", n->name);
	_cleanup_free_ char *json = net_cfg_json(n);
	return capsa_write_file_atomic_at(d, "network.json", json, strlen(json), 0600, err);
}

/* Loads a bridge network; the built-in "bridge" is written on first use. */
static int net_load(int ndir, const char *name, struct net_cfg *n, struct capsa_error **err)
{
	if (capsa_network_name_validate(name, err) < 0)
		return -1;
	_cleanup_free_ char *path = xasprintf("%s/network.json", name);
	_cleanup_free_ char *text = NULL;
	size_t len;
	struct capsa_error *e2 = NULL;
	if (capsa_read_file_at(ndir, path, 1 << 16, &text, &len, &e2) == 0) {
		capsa_error_free(e2);
		return net_cfg_parse(text, name, n, err);
	}
	int en = e2 ? e2->errnum : 0;
	capsa_error_free(e2);
	if (en != ENOENT)
		return capsa_error_set(err, en, "network %s", name);
	if (strcmp(name, DEFAULT_NETWORK) != 0)
		return capsa_error_set(err, ENOENT, "network %s not found", name);
	struct net_cfg d = {.name = xstrdup(name),
			    .id = random_hex(32),
			    .created = now_rfc3339(),
			    .bridge = xstrdup(DEFAULT_BRIDGE)};
	if (capsa_cidr_parse(DEFAULT_SUBNET, &d.net, &d.prefix, err) < 0) {
		net_cfg_clear(&d);
		return -1;
	}
	d.gw = d.net + 1;
	*n = d;
	return net_cfg_write(ndir, n, err);
}

/* Every stored network's name, sorted. */
static char **net_names(int ndir, size_t *n)
{
	char **v = xcalloc(1, sizeof(char *));
	*n = 0;
	int fd = openat(ndir, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return v;
	}
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		capsa_strv_push(&v, de->d_name);
		(*n)++;
	}
	for (size_t i = 1; i < *n; i++)
		for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v;
}

static bool overlaps(uint32_t a, int ap, uint32_t b, int bp)
{
	int p = ap < bp ? ap : bp;
	return capsa_cidr_contains(a & (p ? ~0U << (32 - p) : 0), p, b);
}

/* The IPv4 subnets of the host's interfaces (not loopback): a network overlapping one would have its
 * traffic routed to that interface, not its bridge. As podman, capsa refuses those ("already used on
 * the host"). Read once per network create. */
struct host_net {
	char name[IFNAMSIZ];
	uint32_t net;
	int prefix;
};

static struct host_net *host_nets(size_t *n)
{
	struct ifaddrs *all = NULL;
	struct host_net *v = NULL;
	*n = 0;
	if (getifaddrs(&all) < 0)
		return NULL;
	for (struct ifaddrs *i = all; i; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_netmask == NULL || i->ifa_addr->sa_family != AF_INET ||
		    (i->ifa_flags & IFF_LOOPBACK))
			continue;
		uint32_t a = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
		uint32_t m = ntohl(((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr);
		v = xreallocarray(v, *n + 1, sizeof(*v));
		snprintf(v[*n].name, IFNAMSIZ, "%s", i->ifa_name);
		v[*n].net = a & m;
		v[(*n)++].prefix = __builtin_popcount(m);
	}
	freeifaddrs(all);
	return v;
}

/* The first of the host's subnets net/prefix overlaps; NULL for none. */
static const struct host_net *host_overlap(const struct host_net *h, size_t n, uint32_t net, int prefix)
{
	for (size_t i = 0; i < n; i++)
		if (overlaps(net, prefix, h[i].net, h[i].prefix))
			return &h[i];
	return NULL;
}

int capsa_engine_network_create(struct capsa_engine *e, const struct capsa_network_opts *o, char **id,
				struct capsa_error **err)
{
	if (capsa_network_name_validate(o->name, err) < 0)
		return -1;
	if (builtin(o->name))
		return capsa_error_set(err, EEXIST, "network with name %s already exists (pre-defined)",
				       o->name);
	_cleanup_close_ int ndir = networks_dir(e, err);
	if (ndir < 0)
		return -1;
	_cleanup_close_ int lock = lock_file(ndir, "lock", err);
	if (lock < 0)
		return -1;
	struct stat st;
	if (fstatat(ndir, o->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return capsa_error_set(err, EEXIST, "network with name %s already exists", o->name);
	struct net_cfg n = {0};
	if (o->subnet) {
		if (capsa_cidr_parse(o->subnet, &n.net, &n.prefix, err) < 0)
			return -1;
	}
	if (o->gateway) {
		if (!o->subnet)
			return capsa_error_set(err, EINVAL, "--gateway %s needs --subnet", o->gateway);
		if (capsa_ipv4_parse(o->gateway, &n.gw) < 0)
			return capsa_error_set(err, EINVAL, "invalid gateway %s: not an IPv4 address",
					       o->gateway);
		uint32_t last = n.net | ~(~0U << (32 - n.prefix));
		if (!capsa_cidr_contains(n.net, n.prefix, n.gw) || n.gw == n.net || n.gw == last)
			return capsa_error_set(err, EINVAL, "invalid gateway %s: not a host address of %s",
					       o->gateway, o->subnet);
	}
	if (o->bridge && capsa_ifname_validate(o->bridge, err) < 0)
		return capsa_error_prefix(err, "--bridge-name");

	/* Other networks: their subnets and bridges must not collide with this one. */
	size_t nn;
	_cleanup_strv_ char **names = net_names(ndir, &nn);
	struct net_cfg *others = xcalloc(nn + 2, sizeof(*others));
	size_t no = 0;
	int ret = -1;
	for (size_t i = 0; i < nn; i++) {
		if (!builtin(names[i]) && net_load(ndir, names[i], &others[no], NULL) == 0)
			no++;
	}
	if (net_load(ndir, DEFAULT_NETWORK, &others[no], NULL) == 0)
		no++;
	size_t nhost;
	_cleanup_free_ struct host_net *host = host_nets(&nhost);
	if (!o->subnet) {
		/* The first free 10.89.X.0/24, like docker's pool of /16s but smaller. */
		bool found = false;
		for (uint32_t x = 0; x < 256 && !found; x++) {
			uint32_t cand = (10U << 24) | (89U << 16) | (x << 8);
			found = true;
			for (size_t i = 0; i < no && found; i++)
				found = !overlaps(cand, 24, others[i].net, others[i].prefix);
			if (found && host_overlap(host, nhost, cand, 24))
				found = false;
			if (found) {
				n.net = cand;
				n.prefix = 24;
			}
		}
		if (!found) {
			capsa_error_set(err, ENOSPC,
					"no free subnet left in 10.89.0.0/16: give one with --subnet");
			goto out;
		}
	}
	for (size_t i = 0; i < no; i++) {
		if (overlaps(n.net, n.prefix, others[i].net, others[i].prefix)) {
			char a[16];
			capsa_error_set(err, EEXIST, "invalid subnet %s: it overlaps with network %s (%s/%d)",
					o->subnet ? o->subnet : "", others[i].name,
					capsa_ipv4_str(others[i].net, a), others[i].prefix);
			goto out;
		}
	}
	const struct host_net *used = host_overlap(host, nhost, n.net, n.prefix);
	if (used) {
		char a[16];
		capsa_error_say(
			err, EEXIST, "invalid subnet %s: it is already used on the host by %s (%s/%d)",
			o->subnet ? o->subnet : "", used->name, capsa_ipv4_str(used->net, a), used->prefix);
		goto out;
	}
	if (!o->gateway)
		n.gw = n.net + 1;
	n.name = xstrdup(o->name);
	n.id = random_hex(32);
	n.created = now_rfc3339();
	n.bridge = o->bridge ? xstrdup(o->bridge) : xasprintf("br-%.12s", n.id);
	for (size_t i = 0; i < no; i++) {
		if (!strcmp(others[i].bridge, n.bridge)) {
			capsa_error_set(err, EEXIST, "bridge name %s is already used by network %s", n.bridge,
					others[i].name);
			goto out;
		}
	}
	/* A link of that name that capsa did not make is not ours to take over (or delete later). */
	if (capsa_link_exists(n.bridge)) {
		capsa_error_set(err, EEXIST, "bridge name %s: an interface of that name already exists",
				n.bridge);
		goto out;
	}
	if (net_cfg_write(ndir, &n, err) < 0) {
		capsa_rm_rf_at(ndir, n.name);
		goto out;
	}
	if (id)
		*id = xstrdup(n.id);
	ret = 0;
out:
	for (size_t i = 0; i < no; i++)
		net_cfg_clear(&others[i]);
	free(others);
	net_cfg_clear(&n);
	return ret;
}

/* The ids holding addresses on the network: "in use" means at least one. */
static char *ipam_text(struct capsa_engine *e, int ndir, const char *name)
{
	_cleanup_free_ char *path = xasprintf("%s/ipam", name);
	char *text = NULL;
	size_t len;
	struct capsa_error *e2 = NULL;
	if (capsa_read_file_at(ndir, path, 1 << 22, &text, &len, &e2) < 0) {
		capsa_error_free(e2);
		return xstrdup("");
	}
	return drop_stale(e, text);
}

static int net_remove_locked(struct capsa_engine *e, int ndir, const char *name, struct capsa_error **err)
{
	struct net_cfg n = {0};
	if (net_load(ndir, name, &n, err) < 0)
		return -1;
	_cleanup_free_ char *ipam = ipam_text(e, ndir, name);
	int ret = 0;
	if (*ipam) {
		ret = capsa_error_set(err, 0,
				      "error while removing network: network %s id %s has active endpoints",
				      name, n.id);
	} else if (capsa_nft_network_delete(name, err) < 0 || capsa_link_delete(n.bridge, err) < 0) {
		ret = capsa_error_prefix(err, "remove network %s", name);
	} else if (capsa_rm_rf_at(ndir, name) < 0) {
		ret = capsa_error_errno(err, "remove %s/networks/%s", e->root, name);
	}
	net_cfg_clear(&n);
	return ret;
}

int capsa_engine_network_remove(struct capsa_engine *e, const char *name, struct capsa_error **err)
{
	if (builtin(name))
		return capsa_error_set(err, EPERM, "%s is a pre-defined network and cannot be removed", name);
	if (capsa_network_name_validate(name, err) < 0)
		return -1;
	_cleanup_close_ int ndir = networks_dir(e, err);
	if (ndir < 0)
		return -1;
	_cleanup_close_ int lock = lock_file(ndir, "lock", err);
	if (lock < 0)
		return -1;
	return net_remove_locked(e, ndir, name, err);
}

int capsa_engine_network_prune(struct capsa_engine *e, char ***removed, size_t *n_removed,
			       struct capsa_error **err)
{
	*removed = xcalloc(1, sizeof(char *));
	*n_removed = 0;
	_cleanup_close_ int ndir = networks_dir(e, err);
	if (ndir < 0)
		return -1;
	_cleanup_close_ int lock = lock_file(ndir, "lock", err);
	if (lock < 0)
		return -1;
	size_t nn;
	_cleanup_strv_ char **names = net_names(ndir, &nn);
	for (size_t i = 0; i < nn; i++) {
		if (builtin(names[i]))
			continue;
		_cleanup_free_ char *ipam = ipam_text(e, ndir, names[i]);
		if (*ipam)
			continue;
		struct capsa_error *e2 = NULL;
		if (net_remove_locked(e, ndir, names[i], &e2) < 0) {
			capsa_warn("network prune: %s", e2->msg);
			capsa_error_free(e2);
			continue;
		}
		capsa_strv_push(removed, names[i]);
		(*n_removed)++;
	}
	return 0;
}

int capsa_engine_network_list(struct capsa_engine *e, struct capsa_network_info **out, size_t *n,
			      struct capsa_error **err)
{
	_cleanup_close_ int ndir = networks_dir(e, err);
	if (ndir < 0)
		return -1;
	/* Held because the first look at "bridge" writes its record. */
	_cleanup_close_ int lock = lock_file(ndir, "lock", err);
	if (lock < 0)
		return -1;
	size_t nn;
	_cleanup_strv_ char **names = net_names(ndir, &nn);
	struct capsa_network_info *v = xcalloc(nn + 3, sizeof(*v));
	size_t k = 0;
	static const char *const fixed[] = {"bridge", "host", "none"};
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++) {
		struct net_cfg c = {0};
		if (i == 0 && net_load(ndir, fixed[i], &c, NULL) == 0) {
			v[k++] = (struct capsa_network_info){xstrdup(c.name), xstrdup(c.id),
							     xstrdup("bridge")};
			net_cfg_clear(&c);
			continue;
		}
		/* host and none are not stored: a stable id from the name. */
		uint64_t h = capsa_fnv1a64(fixed[i], strlen(fixed[i]));
		char *id = xasprintf("%016llx%016llx%016llx%016llx", (unsigned long long)h,
				     (unsigned long long)~h, (unsigned long long)(h * 31),
				     (unsigned long long)(h ^ 0x5a5a));
		v[k++] = (struct capsa_network_info){xstrdup(fixed[i]), id,
						     xstrdup(fixed[i][0] == 'h' ? "host" : "null")};
	}
	for (size_t i = 0; i < nn; i++) {
		if (builtin(names[i]))
			continue;
		struct net_cfg c = {0};
		if (net_load(ndir, names[i], &c, NULL) < 0)
			continue;
		v[k++] = (struct capsa_network_info){xstrdup(c.name), xstrdup(c.id), xstrdup("bridge")};
		net_cfg_clear(&c);
	}
	*out = v;
	*n = k;
	return 0;
}

void capsa_network_info_free(struct capsa_network_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].id);
		free(v[i].driver);
	}
	free(v);
}

int capsa_engine_network_inspect(struct capsa_engine *e, const char *name, char **json,
				 struct capsa_error **err)
{
	if (!strcmp(name, "host") || !strcmp(name, "none")) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "Name", json_object_new_string(name));
		json_object_object_add(o, "Driver", json_object_new_string(name[0] == 'h' ? "host" : "null"));
		json_object_object_add(o, "Scope", json_object_new_string("local"));
		*json = xstrdup(
			json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
		json_object_put(o);
		return 0;
	}
	_cleanup_close_ int ndir = networks_dir(e, err);
	if (ndir < 0)
		return -1;
	_cleanup_close_ int lock = lock_file(ndir, "lock", err);
	if (lock < 0)
		return -1;
	struct net_cfg n = {0};
	if (net_load(ndir, name, &n, err) < 0)
		return -1;
	char a[16], g[16];
	json_object *o = json_object_new_object();
	json_object_object_add(o, "Name", json_object_new_string(n.name));
	json_object_object_add(o, "Id", json_object_new_string(n.id));
	json_object_object_add(o, "Created", json_object_new_string(n.created));
	json_object_object_add(o, "Scope", json_object_new_string("local"));
	json_object_object_add(o, "Driver", json_object_new_string("bridge"));
	json_object *ipam = json_object_new_object(), *cfgs = json_object_new_array(),
		    *c1 = json_object_new_object();
	_cleanup_free_ char *sub = xasprintf("%s/%d", capsa_ipv4_str(n.net, a), n.prefix);
	json_object_object_add(c1, "Subnet", json_object_new_string(sub));
	json_object_object_add(c1, "Gateway", json_object_new_string(capsa_ipv4_str(n.gw, g)));
	json_object_array_add(cfgs, c1);
	json_object_object_add(ipam, "Driver", json_object_new_string("default"));
	json_object_object_add(ipam, "Config", cfgs);
	json_object_object_add(o, "IPAM", ipam);
	json_object *opts = json_object_new_object();
	json_object_object_add(opts, "com.docker.network.bridge.name", json_object_new_string(n.bridge));
	json_object_object_add(o, "Options", opts);
	json_object *ctrs = json_object_new_object();
	_cleanup_free_ char *text = ipam_text(e, ndir, name);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *sp = strchr(line, ' ');
		if (sp == NULL)
			continue;
		*sp = '\0';
		json_object *c = json_object_new_object();
		struct capsa_ctr *ctr = NULL;
		struct capsa_error *e2 = NULL;
		if (ctr_read(e, sp + 1, &ctr, &e2) == 0)
			json_object_object_add(c, "Name", json_object_new_string(ctr->name));
		capsa_ctr_free(ctr);
		capsa_error_free(e2);
		_cleanup_free_ char *cidr = xasprintf("%s/%d", line, n.prefix);
		json_object_object_add(c, "IPv4Address", json_object_new_string(cidr));
		json_object_object_add(ctrs, sp + 1, c);
	}
	json_object_object_add(o, "Containers", ctrs);
	*json = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	net_cfg_clear(&n);
	return 0;
}

/* ---- a container's share -------------------------------------------------------------------------- */

static char *net_state_json(const struct net_state *s)
{
	char b[16];
	json_object *o = json_object_new_object();
	json_object_object_add(o, "Network", json_object_new_string(s->network));
	json_object_object_add(o, "Bridge", json_object_new_string(s->bridge));
	json_object_object_add(o, "Veth", json_object_new_string(s->veth));
	json_object_object_add(o, "Netns", json_object_new_string(s->netns));
	json_object_object_add(o, "Key", json_object_new_string(s->key));
	json_object_object_add(o, "IPAddress", json_object_new_string(capsa_ipv4_str(s->addr, b)));
	json_object_object_add(o, "IPPrefixLen", json_object_new_int(s->prefix));
	json_object_object_add(o, "Gateway", json_object_new_string(capsa_ipv4_str(s->gw, b)));
	char mac[18];
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", s->mac[0], s->mac[1], s->mac[2],
		 s->mac[3], s->mac[4], s->mac[5]);
	json_object_object_add(o, "MacAddress", json_object_new_string(mac));
	json_object_object_add(o, "PortBindings", engine_net_ports_json(s->binds, s->n_binds));
	json_object_object_add(o, "Ports", engine_net_ports_json(s->ports, s->n_ports));
	char *out = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return out;
}

static int jint(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : 0;
}

/* 1 with the state, 0 when the container holds nothing on a bridge network, -1 on error. */
static int net_state_read(struct capsa_engine *e, const char *id, struct net_state *s,
			  struct capsa_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", id, NET_STATE_FILE);
	_cleanup_free_ char *text = NULL;
	size_t len;
	struct capsa_error *e2 = NULL;
	if (capsa_read_file_at(e->containers_fd, path, 1 << 20, &text, &len, &e2) < 0) {
		bool missing = e2 && e2->errnum == ENOENT;
		capsa_error_free(e2);
		return missing ? 0 : capsa_error_set(err, EIO, "read containers/%s", path);
	}
	json_object *o = json_tokener_parse(text);
	const char *net = o ? jstr(o, "Network") : NULL, *br = o ? jstr(o, "Bridge") : NULL;
	const char *veth = o ? jstr(o, "Veth") : NULL, *ns = o ? jstr(o, "Netns") : NULL;
	const char *key = o ? jstr(o, "Key") : NULL, *ip = o ? jstr(o, "IPAddress") : NULL;
	const char *gw = o ? jstr(o, "Gateway") : NULL;
	if (!net || !br || !veth || !ns || !key || !ip || !gw || capsa_ipv4_parse(ip, &s->addr) < 0 ||
	    capsa_ipv4_parse(gw, &s->gw) < 0) {
		json_object_put(o);
		return capsa_error_set(err, EINVAL, "damaged containers/%s", path);
	}
	s->network = xstrdup(net);
	s->bridge = xstrdup(br);
	s->veth = xstrdup(veth);
	s->netns = xstrdup(ns);
	s->key = xstrdup(key);
	s->prefix = jint(o, "IPPrefixLen");
	capsa_mac_from_ipv4(s->addr, s->mac);
	engine_net_ports_parse(o, "Ports", &s->ports, &s->n_ports);
	/* A record from before ports were released at stop: what it holds is what it asked for. */
	if (!engine_net_ports_parse(o, "PortBindings", &s->binds, &s->n_binds)) {
		s->binds = xcalloc(s->n_ports + 1, sizeof(*s->binds));
		if (s->n_ports)
			memcpy(s->binds, s->ports, s->n_ports * sizeof(*s->binds));
		s->n_binds = s->n_ports;
	}
	json_object_put(o);
	return 1;
}

static int net_state_write(struct capsa_engine *e, const char *id, const struct net_state *s,
			   struct capsa_error **err)
{
	_cleanup_close_ int dfd = ctr_dir_open(e, id, err);
	if (dfd < 0)
		return -1;
	_cleanup_free_ char *json = net_state_json(s);
	return capsa_write_file_atomic_at(dfd, NET_STATE_FILE, json, strlen(json), 0600, err);
}

static int alloc_address(struct capsa_engine *e, int ndir, const struct net_cfg *n, const char *id,
			 uint32_t *addr, struct capsa_error **err)
{
	_cleanup_free_ char *name = xasprintf("%s/ipam", n->name);
	_cleanup_close_ int fd = lock_file(ndir, name, err);
	if (fd < 0)
		return -1;
	_cleanup_free_ char *text = drop_stale(e, read_locked(fd));
	uint32_t *used = NULL;
	size_t nu = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		_cleanup_free_ char *line = xstrndup(p, l);
		char *sp = strchr(line, ' ');
		uint32_t a;
		if (sp) {
			*sp = '\0';
			if (capsa_ipv4_parse(line, &a) == 0) {
				used = xreallocarray(used, nu + 1, sizeof(*used));
				used[nu++] = a;
			}
		}
		p += l + (nl ? 1 : 0);
	}
	int r = capsa_ipam_pick(n->net, n->prefix, n->gw, used, nu, addr);
	free(used);
	if (r < 0) {
		char b[16];
		return capsa_error_set(err, ENOSPC, "network %s: no address left in %s/%d", n->name,
				       capsa_ipv4_str(n->net, b), n->prefix);
	}
	char b[16];
	_cleanup_free_ char *more = xasprintf("%s%s %s\n", text, capsa_ipv4_str(*addr, b), id);
	return rewrite_locked(fd, more, name, err);
}

static void release_lines(int ndir, const char *name, const char *id)
{
	struct capsa_error *e2 = NULL;
	_cleanup_close_ int fd = lock_file(ndir, name, &e2);
	if (fd < 0) {
		capsa_warn("release %.12s from networks/%s: %s", id, name, e2->msg);
		capsa_error_free(e2);
		return;
	}
	_cleanup_free_ char *text = read_locked(fd);
	_cleanup_free_ char *kept = engine_net_lines_drop(text, id);
	if (strcmp(text, kept) && rewrite_locked(fd, kept, name, &e2) < 0) {
		capsa_warn("release %.12s: %s", id, e2->msg);
		capsa_error_free(e2);
	}
}

/* Whether something on the host listens on (or is bound to) the port: binding it is the only honest test. */
static bool port_free(const struct capsa_port_map *m)
{
	bool tcp = !strcmp(m->proto, "tcp");
	_cleanup_close_ int fd = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(m->host_port)};
	uint32_t a = 0;
	if (m->host_ip[0])
		(void)capsa_ipv4_parse(m->host_ip, &a);
	sa.sin_addr.s_addr = htonl(a);
	/* A connection in TIME_WAIT does not hold the port; with SO_REUSEADDR only a listener (or another
	 * bound socket) makes bind fail. */
	int one = 1;
	if (tcp)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	return bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

/* A port the kernel would hand out now (from ip_local_port_range). */
static uint16_t ephemeral_port(const char *proto)
{
	bool tcp = !strcmp(proto, "tcp");
	_cleanup_close_ int fd = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		return 0;
	return ntohs(sa.sin_port);
}

/* docker's words when a host port is taken at create or start, as scripts look for them. */
static int port_taken(const struct capsa_ctr *c, const struct capsa_port_map *m, struct capsa_error **err)
{
	return capsa_error_say(err, EADDRINUSE,
			       "driver failed programming external connectivity on endpoint %s (%s): Bind "
			       "for %s:%u failed: port is already allocated",
			       c->name, c->id, m->host_ip[0] ? m->host_ip : "0.0.0.0", m->host_port);
}

static int alloc_ports(struct capsa_engine *e, int ndir, const struct capsa_ctr *c, struct capsa_port_map *m,
		       size_t n, struct capsa_error **err)
{
	if (n == 0)
		return 0;
	_cleanup_close_ int fd = lock_file(ndir, "ports", err);
	if (fd < 0)
		return -1;
	_cleanup_free_ char *all = drop_stale(e, read_locked(fd));
	/* Its own lines (a stop killed before it released them) are not someone else's reservation. */
	_cleanup_free_ char *text = engine_net_lines_drop(all, c->id);
	for (size_t i = 0; i < n; i++) {
		if (m[i].host_port == 0) {
			for (int tries = 0; m[i].host_port == 0 && tries < 64; tries++) {
				m[i].host_port = ephemeral_port(m[i].proto);
				if (m[i].host_port && engine_net_port_registered(text, &m[i]))
					m[i].host_port = 0;
			}
			if (m[i].host_port == 0)
				return capsa_error_set(err, EADDRINUSE, "no free host port for %u/%s",
						       m[i].ctr_port, m[i].proto);
		} else if (engine_net_port_registered(text, &m[i]) || !port_free(&m[i])) {
			return port_taken(c, &m[i], err);
		}
		char *more = xasprintf("%s%s %u %s\n", text, m[i].proto, m[i].host_port, c->id);
		free(text);
		text = more;
	}
	return rewrite_locked(fd, text, "networks/ports", err);
}

static bool same_port(const struct capsa_port_map *a, const struct capsa_port_map *b)
{
	return !strcmp(a->proto, b->proto) && a->ctr_port == b->ctr_port;
}

/* The container's end of the network from its record: its namespace (pinned at st->netns), the veth
 * pair on the bridge with its address and routes, and the published ports' DNAT rules. */
static int plumb(struct capsa_engine *e, const struct net_state *st, struct capsa_error **err)
{
	_cleanup_free_ char *nsdir = xasprintf("%s/netns", e->run_root);
	if (capsa_mkdir_p(nsdir, 0700, err) < 0 || capsa_netns_create(st->netns, err) < 0)
		return -1;
	_cleanup_close_ int nsfd = open(st->netns, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return capsa_error_errno(err, "open %s", st->netns);
	if (capsa_veth_attach(st->veth, st->bridge, nsfd, st->mac, st->addr, st->prefix, st->gw, err) < 0 ||
	    capsa_nft_ports_add(st->network, st->key, st->addr, st->ports, st->n_ports, err) < 0)
		return -1;
	return 0;
}

/* A micro-VM's end of the network from its record: its persistent tap on the bridge (linux.uml opens it
 * again by name in the monitor's process, long after this one) and the published ports' DNAT rules to the
 * guest's address. */
static int plumb_vm(const struct net_state *st, struct capsa_error **err)
{
	int fd = capsa_tap_create(st->veth, st->bridge, CAPSA_TAP_PERSIST, err);
	if (fd < 0)
		return -1;
	close(fd);
	return capsa_nft_ports_add(st->network, st->key, st->addr, st->ports, st->n_ports, err);
}

/*
 * What a container and a micro-VM share when they join a network: the ports asked for (-p, then -P's
 * ExposedPorts), an address and the host ports, each in the record (containers/<id>/network.json) before
 * anything is made, the bridge and the network's NAT. link is the name of the host's end (a container's
 * veth, a VM's tap), netns its namespace ("" for a VM). 1 with *st filled, 0 for --network none or host.
 */
static int join(struct capsa_engine *e, struct capsa_image_store *s, const struct capsa_image *img,
		const struct capsa_run_opts *o, struct capsa_ctr *c, const char *link, const char *netns,
		struct net_state *st, struct capsa_error **err)
{
	if (!strcmp(c->network, "none") || !strcmp(c->network, "host")) {
		if (o->n_ports)
			return capsa_error_set(err, EINVAL,
					       "publishing ports needs a bridge network, not --network %s",
					       c->network);
		return 0;
	}
	_cleanup_close_ int ndir = networks_dir(e, err);
	if (ndir < 0)
		return -1;
	struct net_cfg n = {0};
	int ret = -1;
	bool bare = false;
	_cleanup_close_ int lock = lock_file(ndir, "lock", err);
	if (lock < 0 || net_load(ndir, c->network, &n, err) < 0)
		goto out;

	/* The ports: -p as given, then -P's image ExposedPorts not already published. */
	st->ports = xcalloc(o->n_ports + 1, sizeof(*st->ports));
	if (o->n_ports)
		memcpy(st->ports, o->ports, o->n_ports * sizeof(*st->ports));
	st->n_ports = o->n_ports;
	if (o->publish_all) {
		struct capsa_image_config *ic = NULL;
		if (capsa_image_get_config(s, img, &ic, err) < 0)
			goto out;
		for (size_t i = 0; i < ic->n_exposed_ports; i++) {
			struct capsa_port_map m;
			struct capsa_error *e2 = NULL;
			if (capsa_port_exposed_parse(ic->exposed_ports[i], &m, &e2) < 0) {
				capsa_warn("%s", e2->msg);
				capsa_error_free(e2);
				continue;
			}
			bool have = false;
			for (size_t j = 0; j < st->n_ports && !have; j++)
				have = same_port(&st->ports[j], &m);
			if (have)
				continue;
			st->ports = xreallocarray(st->ports, st->n_ports + 1, sizeof(*st->ports));
			st->ports[st->n_ports++] = m;
		}
		capsa_image_config_free(ic);
	}
	for (size_t i = 0; i < st->n_ports; i++)
		for (size_t j = 0; j < i; j++)
			if (st->ports[i].host_port && st->ports[i].host_port == st->ports[j].host_port &&
			    !strcmp(st->ports[i].proto, st->ports[j].proto)) {
				capsa_error_set(err, EINVAL, "host port %u/%s is published twice",
						st->ports[i].host_port, st->ports[i].proto);
				goto out;
			}

	st->network = xstrdup(n.name);
	st->bridge = xstrdup(n.bridge);
	st->veth = xstrdup(link);
	st->key = xstrndup(c->id, 12);
	st->netns = xstrdup(netns);
	st->gw = n.gw;
	st->prefix = n.prefix;
	st->binds = xcalloc(st->n_ports + 1, sizeof(*st->binds));
	if (st->n_ports)
		memcpy(st->binds, st->ports, st->n_ports * sizeof(*st->binds));
	st->n_binds = st->n_ports;
	/* Written first with no address and no ports, then again with each: whatever is made from here on
	 * is in the record when a later step fails (or the process is killed). */
	if (alloc_address(e, ndir, &n, c->id, &st->addr, err) < 0)
		goto out;
	capsa_mac_from_ipv4(st->addr, st->mac);
	struct capsa_port_map *want = st->ports;
	size_t n_want = st->n_ports;
	st->ports = NULL;
	st->n_ports = 0;
	if (net_state_write(e, c->id, st, err) < 0) {
		free(want);
		goto out;
	}
	st->ports = want;
	st->n_ports = n_want;
	if (!o->start_follows) {
		/* Created, not started: as in docker, the host ports are taken by the start
		 * (engine_network_ensure); the record keeps what to take in binds. */
		st->n_ports = 0;
	} else if (alloc_ports(e, ndir, c, st->ports, st->n_ports, err) < 0) {
		bare = true; /* docker's words, as scripts look for them */
		/* What was registered before the refusal is released through the record. */
		size_t keep = st->n_ports;
		st->n_ports = 0;
		(void)net_state_write(e, c->id, st, NULL);
		st->n_ports = keep;
		goto out;
	}
	if (net_state_write(e, c->id, st, err) < 0 || capsa_ip_forward_enable(err) < 0 ||
	    capsa_bridge_ensure(n.bridge, n.gw, n.prefix, err) < 0 ||
	    capsa_nft_network_ensure(n.name, n.net, n.prefix, n.bridge, err) < 0)
		goto out;
	ret = 1;
out:
	if (ret < 0 && !bare)
		capsa_error_prefix(err, "network %s", c->network);
	net_cfg_clear(&n);
	return ret;
}

int engine_network_setup(struct capsa_engine *e, struct capsa_image_store *s, const struct capsa_image *img,
			 const struct capsa_run_opts *o, struct capsa_ctr *c, struct capsa_error **err)
{
	struct net_state st = {0};
	_cleanup_free_ char *veth = xasprintf("veth%.11s", c->id);
	_cleanup_free_ char *netns = xasprintf("%s/netns/%s", e->run_root, c->id);
	int r = join(e, s, img, o, c, veth, netns, &st, err);
	if (r > 0 && plumb(e, &st, err) < 0)
		r = capsa_error_prefix(err, "network %s", c->network);
	net_state_clear(&st);
	return r < 0 ? -1 : 0;
}

int engine_network_vm_attach(struct capsa_engine *e, struct capsa_image_store *s,
			     const struct capsa_image *img, const struct capsa_run_opts *o,
			     struct capsa_ctr *c, const char *tap, uint32_t *addr, uint32_t *gw, int *prefix,
			     struct capsa_error **err)
{
	struct net_state st = {0};
	int r = join(e, s, img, o, c, tap, "", &st, err);
	if (r > 0 && plumb_vm(&st, err) < 0)
		r = capsa_error_prefix(err, "network %s", c->network);
	if (r > 0) {
		*addr = st.addr;
		*gw = st.gw;
		*prefix = st.prefix;
	}
	net_state_clear(&st);
	return r;
}

void engine_network_teardown(struct capsa_engine *e, const struct capsa_ctr *c)
{
	struct net_state st = {0};
	struct capsa_error *e2 = NULL;
	int r = net_state_read(e, c->id, &st, &e2);
	if (r <= 0) {
		if (r < 0)
			capsa_warn("%.12s: %s", c->id, e2->msg);
		capsa_error_free(e2);
		return;
	}
	/* No ports, no chain: capsa_nft_ports_add makes nothing then, and a stop deleted it (a delete that
	 * finds nothing still costs a kernel commit: not tried for every rm). */
	if (st.n_ports)
		capsa_nft_ports_delete(st.network, st.key, st.ports, st.n_ports);
	if (capsa_link_delete(st.veth, &e2) < 0 || capsa_netns_remove(st.netns, &e2) < 0) {
		capsa_warn("%.12s: %s", c->id, e2->msg);
		capsa_error_clear(&e2);
	}
	_cleanup_close_ int ndir = networks_dir(e, &e2);
	if (ndir < 0) {
		capsa_warn("%.12s: %s", c->id, e2->msg);
		capsa_error_free(e2);
	} else {
		_cleanup_free_ char *ipam = xasprintf("%s/ipam", st.network);
		release_lines(ndir, ipam, c->id);
		release_lines(ndir, "ports", c->id);
	}
	net_state_clear(&st);
}

static bool netns_mounted(const char *path)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 && sf.f_type == NSFS_MAGIC;
}

/*
 * Before each (re)start. A stopped container released its host ports (engine_network_release_ports): it
 * takes them again as run asked (the same fixed ports, fresh ephemeral ones), or the start fails naming
 * the port and leaves nothing. What setup made in the kernel and under /run is gone after a reboot (or was
 * removed by hand) while the record and the address are still the container's: made again from the
 * record, in the same order as setup. One statfs (a micro-VM: one look for its tap) when the container
 * still holds everything (created, or restarted by its policy).
 */
int engine_network_ensure(struct capsa_engine *e, const struct capsa_ctr *c, bool ports,
			  struct capsa_error **err)
{
	struct net_state st = {0};
	struct net_cfg n = {0};
	_cleanup_close_ int ndir = -1, lock = -1;
	int ret = -1;
	bool took = false;
	int r = net_state_read(e, c->id, &st, err);
	if (r <= 0)
		return r;
	/* A micro-VM's record has no namespace: its tap (persistent, gone after a reboot) says the same. */
	bool vm = st.netns[0] == '\0';
	bool present = vm ? capsa_link_exists(st.veth) : netns_mounted(st.netns);
	bool retake = ports && st.n_ports == 0 && st.n_binds > 0;
	if (present && !retake) {
		net_state_clear(&st);
		return 0;
	}
	ndir = networks_dir(e, err);
	if (ndir < 0)
		goto out;
	lock = lock_file(ndir, "lock", err);
	if (lock < 0 || net_load(ndir, st.network, &n, err) < 0)
		goto out;
	if (retake) {
		free(st.ports); /* the record's, empty */
		st.ports = xcalloc(st.n_binds + 1, sizeof(*st.ports));
		memcpy(st.ports, st.binds, st.n_binds * sizeof(*st.ports));
		/* Refused: nothing was registered (alloc_ports writes once, at its end). */
		if (alloc_ports(e, ndir, c, st.ports, st.n_binds, err) < 0)
			goto out;
		st.n_ports = st.n_binds;
		took = true;
		if (net_state_write(e, c->id, &st, err) < 0)
			goto out;
	} else {
		/* Still reserved for it since before the reboot: only a host socket can be in the way. */
		for (size_t i = 0; i < st.n_ports; i++)
			if (!port_free(&st.ports[i])) {
				port_taken(c, &st.ports[i], err);
				goto out;
			}
	}
	if (capsa_ip_forward_enable(err) < 0 || capsa_bridge_ensure(n.bridge, n.gw, n.prefix, err) < 0 ||
	    capsa_nft_network_ensure(n.name, n.net, n.prefix, n.bridge, err) < 0)
		goto out;
	close(TAKE_FD(lock));
	if (present) {
		/* The stop deleted the rules (a delete costs a kernel commit of ~10 ms, an add well under 1):
		 * a stop killed inside that delete leaves at most a dead rule in the chain, never a jump to
		 * it. */
		if (capsa_nft_ports_add(st.network, st.key, st.addr, st.ports, st.n_ports, err) < 0)
			goto out;
	} else {
		/* A file left without its mount, a veth or rules left without the namespace (or the tap):
		 * made afresh. */
		if (!vm && capsa_netns_remove(st.netns, err) < 0)
			goto out;
		if (!vm && capsa_link_exists(st.veth) && capsa_link_delete(st.veth, err) < 0)
			goto out;
		if (st.n_ports)
			capsa_nft_ports_delete(st.network, st.key, st.ports, st.n_ports);
		if (vm ? plumb_vm(&st, err) < 0 : plumb(e, &st, err) < 0)
			goto out;
	}
	ret = 0;
out:
	if (ret < 0) {
		if (took) {
			/* The start fails: the ports go back, as they were at stop. */
			capsa_nft_ports_delete(st.network, st.key, st.ports, st.n_ports);
			st.n_ports = 0;
			struct capsa_error *e2 = NULL;
			if (net_state_write(e, c->id, &st, &e2) == 0) {
				release_lines(ndir, "ports", c->id);
			} else {
				capsa_warn("%.12s: %s", c->id, e2->msg);
				capsa_error_free(e2);
			}
		}
		capsa_error_prefix(err, "network %s", st.network ? st.network : c->network);
	}
	net_cfg_clear(&n);
	net_state_clear(&st);
	return ret;
}

void engine_network_release_ports(struct capsa_engine *e, const struct capsa_ctr *c)
{
	struct net_state st = {0};
	struct capsa_error *e2 = NULL;
	/* Most containers publish nothing: one read of the record for them. */
	int r = net_state_read(e, c->id, &st, &e2);
	if (r <= 0 || st.n_ports == 0) {
		if (r < 0)
			capsa_warn("%.12s: %s", c->id, e2->msg);
		capsa_error_free(e2);
		net_state_clear(&st);
		return;
	}
	_cleanup_close_ int ndir = networks_dir(e, &e2);
	_cleanup_close_ int lock = ndir < 0 ? -1 : lock_file(ndir, "lock", &e2);
	if (lock < 0)
		goto fail;
	/* The rules first, then the record, then the reservation: at each step what is left is still the
	 * container's (a port another container may take has no rule of ours and no line in our record). */
	capsa_nft_ports_delete(st.network, st.key, st.ports, st.n_ports);
	size_t held = st.n_ports;
	st.n_ports = 0;
	if (net_state_write(e, c->id, &st, &e2) < 0) {
		st.n_ports = held;
		goto fail;
	}
	release_lines(ndir, "ports", c->id);
	net_state_clear(&st);
	return;
fail:
	capsa_warn("%.12s: release its ports: %s", c->id, e2->msg);
	capsa_error_free(e2);
	net_state_clear(&st);
}

int engine_network_apply(struct capsa_engine *e, const struct capsa_ctr *c, struct oci_config *cfg,
			 struct capsa_error **err)
{
	struct net_state st = {0};
	int r = net_state_read(e, c->id, &st, err);
	if (r <= 0)
		return r;
	struct oci_linux *l = cfg->linux_;
	for (size_t i = 0; i < l->n_namespaces; i++) {
		if (l->namespaces[i].type == OCI_NS_NETWORK) {
			free(l->namespaces[i].path);
			l->namespaces[i].path = xstrdup(st.netns);
		}
	}
	net_state_clear(&st);
	return 0;
}

void engine_network_etc(struct capsa_engine *e, const struct capsa_ctr *c, char **hosts, char **resolv)
{
	struct net_state st = {0};
	if (net_state_read(e, c->id, &st, NULL) <= 0)
		return;
	char a[16], g[16];
	/* The hostname and the name resolve to eth0's address, as in docker. */
	char *h = xasprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s%s%s\n",
			    capsa_ipv4_str(st.addr, a), c->hostname, strcmp(c->hostname, c->name) ? " " : "",
			    strcmp(c->hostname, c->name) ? c->name : "");
	free(*hosts);
	*hosts = h;
	/* The host's resolvers minus loopback ones (unreachable from here); with none left, the gateway: a
	 * resolver listening on the bridge works, anything else fails as visibly as no resolver would. */
	char *r = capsa_resolv_conf_filter(*resolv ? *resolv : "", capsa_ipv4_str(st.gw, g));
	free(*resolv);
	*resolv = r;
	net_state_clear(&st);
}

/* docker's port maps: {"80/tcp": [{"HostIp": ..., "HostPort": "8080"}]}. As given (bindings: "" for every
 * address or an ephemeral port), or as held (settings: 0.0.0.0). */
static void add_ports_json(json_object *ports, const struct capsa_port_map *m, size_t n, bool given)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *k = xasprintf("%u/%s", m[i].ctr_port, m[i].proto);
		json_object *arr;
		if (!json_object_object_get_ex(ports, k, &arr) ||
		    !json_object_is_type(arr, json_type_array)) {
			arr = json_object_new_array();
			json_object_object_add(ports, k, arr);
		}
		json_object *b = json_object_new_object();
		const char *ip = m[i].host_ip[0] || given ? m[i].host_ip : "0.0.0.0";
		json_object_object_add(b, "HostIp", json_object_new_string(ip));
		_cleanup_free_ char *hp =
			m[i].host_port || !given ? xasprintf("%u", m[i].host_port) : xstrdup("");
		json_object_object_add(b, "HostPort", json_object_new_string(hp));
		json_object_array_add(arr, b);
	}
}

json_object *engine_network_port_bindings(struct capsa_engine *e, const struct capsa_ctr *c)
{
	json_object *ports = json_object_new_object();
	struct net_state st = {0};
	if (net_state_read(e, c->id, &st, NULL) > 0)
		add_ports_json(ports, st.binds, st.n_binds, true);
	net_state_clear(&st);
	return ports;
}

json_object *engine_network_settings(struct capsa_engine *e, const struct capsa_ctr *c)
{
	json_object *ns = json_object_new_object();
	json_object *nets = json_object_new_object();
	json_object *ports = json_object_new_object();
	struct net_state st = {0};
	char a[16], g[16], mac[18] = "";
	if (net_state_read(e, c->id, &st, NULL) > 0) {
		/* A micro-VM's eth0 has the MAC its backend was given (engine/vm_net.c), not a veth's. */
		if (c->vm) {
			_cleanup_free_ char *id12 = xstrndup(c->id, 12);
			engine_vm_kvm_mac(id12, st.mac);
		}
		capsa_ipv4_str(st.addr, a);
		capsa_ipv4_str(st.gw, g);
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", st.mac[0], st.mac[1], st.mac[2],
			 st.mac[3], st.mac[4], st.mac[5]);
		add_ports_json(ports, st.ports, st.n_ports, false);
		json_object *one = json_object_new_object();
		json_object_object_add(one, "IPAddress", json_object_new_string(a));
		json_object_object_add(one, "IPPrefixLen", json_object_new_int(st.prefix));
		json_object_object_add(one, "Gateway", json_object_new_string(g));
		json_object_object_add(one, "MacAddress", json_object_new_string(mac));
		json_object *aliases = json_object_new_array();
		json_object_array_add(aliases, json_object_new_string(c->name));
		json_object_object_add(one, "Aliases", aliases);
		json_object_object_add(nets, st.network, one);
		json_object_object_add(ns, "SandboxKey", json_object_new_string(st.netns));
	} else {
		a[0] = g[0] = '\0';
		if (c->network)
			json_object_object_add(nets, c->network, json_object_new_object());
	}
	json_object_object_add(ns, "IPAddress", json_object_new_string(a));
	json_object_object_add(ns, "IPPrefixLen", json_object_new_int(st.prefix));
	json_object_object_add(ns, "Gateway", json_object_new_string(g));
	json_object_object_add(ns, "MacAddress", json_object_new_string(mac));
	json_object_object_add(ns, "Ports", ports);
	json_object_object_add(ns, "Networks", nets);
	net_state_clear(&st);
	return ns;
}

int capsa_engine_port_list(struct capsa_engine *e, const struct capsa_ctr *c, struct capsa_port_map **out,
			   size_t *n, struct capsa_error **err)
{
	struct net_state st = {0};
	int r = net_state_read(e, c->id, &st, err);
	*out = NULL;
	*n = 0;
	if (r < 0)
		return -1;
	*out = TAKE_PTR(st.ports);
	*n = st.n_ports;
	net_state_clear(&st);
	return 0;
}
