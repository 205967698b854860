/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pure parsers for networking flags: port specs, addresses, subnets, names; the allocator's choice. */
#define _GNU_SOURCE
#include "netns/netns.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int capsa_ipv4_parse(const char *s, uint32_t *addr)
{
	uint32_t a = 0;
	int parts = 0;
	const char *p = s;
	while (parts < 4) {
		if (*p < '0' || *p > '9')
			return -1;
		unsigned v = 0;
		int digits = 0;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (unsigned)(*p - '0');
			if (++digits > 3 || v > 255)
				return -1;
			p++;
		}
		/* "010" is octal to inet_aton: refuse leading zeros rather than guess. */
		if (digits > 1 && p[-digits] == '0')
			return -1;
		a = (a << 8) | v;
		if (++parts < 4 && *p++ != '.')
			return -1;
	}
	if (*p)
		return -1;
	*addr = a;
	return 0;
}

const char *capsa_ipv4_str(uint32_t a, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	return buf;
}

static uint32_t mask_of(int prefix)
{
	return prefix == 0 ? 0 : ~0U << (32 - prefix);
}

int capsa_cidr_parse(const char *s, uint32_t *net, int *prefix, struct capsa_error **err)
{
	const char *slash = strchr(s, '/');
	if (slash == NULL)
		return capsa_error_set(err, EINVAL, "invalid subnet %s: expected ADDRESS/PREFIX", s);
	_cleanup_free_ char *addr = xstrndup(s, (size_t)(slash - s));
	uint32_t a;
	if (capsa_ipv4_parse(addr, &a) < 0)
		return capsa_error_set(err, EINVAL, "invalid subnet %s: %s is not an IPv4 address", s, addr);
	uint64_t p;
	if (capsa_parse_u64(slash + 1, &p) < 0 || p > 32)
		return capsa_error_set(err, EINVAL, "invalid subnet %s: bad prefix length", s);
	if (p < 8 || p > 30)
		return capsa_error_set(err, EINVAL, "invalid subnet %s: the prefix length must be 8 to 30",
				       s);
	if (a & ~mask_of((int)p)) {
		char b[16];
		return capsa_error_set(err, EINVAL, "invalid subnet %s: it should be %s/%d", s,
				       capsa_ipv4_str(a & mask_of((int)p), b), (int)p);
	}
	*net = a;
	*prefix = (int)p;
	return 0;
}

bool capsa_cidr_contains(uint32_t net, int prefix, uint32_t addr)
{
	return (addr & mask_of(prefix)) == net;
}

int capsa_ipam_pick(uint32_t net, int prefix, uint32_t gw, const uint32_t *used, size_t n_used, uint32_t *out)
{
	uint32_t last = net | ~mask_of(prefix);
	for (uint32_t a = net + 1; a < last; a++) {
		if (a == gw)
			continue;
		bool taken = false;
		for (size_t i = 0; i < n_used && !taken; i++)
			taken = used[i] == a;
		if (!taken) {
			*out = a;
			return 0;
		}
	}
	errno = ENOSPC;
	return -1;
}

static bool name_char(char ch, bool first)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
		return true;
	return !first && (ch == '_' || ch == '.' || ch == '-');
}

int capsa_network_name_validate(const char *name, struct capsa_error **err)
{
	size_t n = strlen(name);
	if (n == 0 || n > 64)
		return capsa_error_set(err, EINVAL, "invalid network name \"%s\": 1 to 64 characters", name);
	for (size_t i = 0; i < n; i++)
		if (!name_char(name[i], i == 0))
			return capsa_error_set(
				err, EINVAL,
				"invalid network name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
				"allowed",
				name);
	return 0;
}

int capsa_ifname_validate(const char *name, struct capsa_error **err)
{
	size_t n = strlen(name);
	if (n == 0 || n > 15)
		return capsa_error_set(err, EINVAL, "invalid interface name \"%s\": 1 to 15 characters",
				       name);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return capsa_error_set(err, EINVAL, "invalid interface name \"%s\"", name);
	for (size_t i = 0; i < n; i++)
		if (name[i] == '/' || name[i] == ':' || name[i] <= ' ' || name[i] == 0x7f)
			return capsa_error_set(err, EINVAL,
					       "invalid interface name \"%s\": no '/', ':' or blanks", name);
	return 0;
}

void capsa_mac_from_ipv4(uint32_t a, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x42;
	mac[2] = (uint8_t)(a >> 24);
	mac[3] = (uint8_t)(a >> 16);
	mac[4] = (uint8_t)(a >> 8);
	mac[5] = (uint8_t)a;
}

/* "A" or "A-B" (1..65535; 0 only when zero_ok and alone). */
static int port_range(const char *s, unsigned *lo, unsigned *hi)
{
	const char *dash = strchr(s, '-');
	_cleanup_free_ char *a = dash ? xstrndup(s, (size_t)(dash - s)) : xstrdup(s);
	uint64_t x, y;
	if (capsa_parse_u64(a, &x) < 0 || x == 0 || x > 65535)
		return -1;
	y = x;
	if (dash && (capsa_parse_u64(dash + 1, &y) < 0 || y < x || y > 65535))
		return -1;
	*lo = (unsigned)x;
	*hi = (unsigned)y;
	return 0;
}

int capsa_port_spec_parse(const char *spec, struct capsa_port_map **maps, size_t *n, struct capsa_error **err)
{
	if (*spec == '[')
		return capsa_error_set(err, EINVAL,
				       "invalid port spec \"%s\": IPv6 addresses are not supported", spec);
	_cleanup_free_ char *s = xstrdup(spec);
	const char *proto = "tcp";
	char *slash = strchr(s, '/');
	if (slash) {
		*slash = '\0';
		proto = slash + 1;
		if (strcmp(proto, "tcp") && strcmp(proto, "udp"))
			return capsa_error_set(
				err, EINVAL, "invalid port spec \"%s\": unknown protocol \"%s\" (tcp or udp)",
				spec, proto);
	}
	char *fields[3] = {NULL};
	int nf = 0;
	for (char *p = s, *c; nf < 3; p = c + 1) {
		fields[nf++] = p;
		c = strchr(p, ':');
		if (c == NULL)
			break;
		*c = '\0';
		if (nf == 3)
			return capsa_error_set(err, EINVAL, "invalid port spec \"%s\": too many ':'", spec);
	}
	const char *ip = nf == 3 ? fields[0] : "";
	const char *host = nf == 3 ? fields[1] : nf == 2 ? fields[0] : "";
	const char *ctr = fields[nf - 1];
	uint32_t a;
	if (*ip && capsa_ipv4_parse(ip, &a) < 0)
		return capsa_error_set(err, EINVAL, "invalid port spec \"%s\": \"%s\" is not an IPv4 address",
				       spec, ip);
	unsigned clo, chi, hlo = 0, hhi = 0;
	if (*ctr == '\0' || port_range(ctr, &clo, &chi) < 0)
		return capsa_error_set(err, EINVAL, "invalid port spec \"%s\": bad container port \"%s\"",
				       spec, ctr);
	if (*host && port_range(host, &hlo, &hhi) < 0)
		return capsa_error_set(err, EINVAL, "invalid port spec \"%s\": bad host port \"%s\"", spec,
				       host);
	if (*host && hhi - hlo != chi - clo)
		return capsa_error_set(
			err, EINVAL,
			"invalid port spec \"%s\": the host range and the container range differ "
			"in length",
			spec);
	if (chi - clo >= 1024)
		return capsa_error_set(err, EINVAL, "invalid port spec \"%s\": more than 1024 ports", spec);
	*maps = xreallocarray(*maps, *n + (chi - clo + 1), sizeof(**maps));
	for (unsigned i = 0; i <= chi - clo; i++) {
		struct capsa_port_map *m = &(*maps)[(*n)++];
		memset(m, 0, sizeof(*m));
		snprintf(m->proto, sizeof(m->proto), "%s", proto);
		if (*ip && a != 0)
			snprintf(m->host_ip, sizeof(m->host_ip), "%s", ip);
		m->host_port = *host ? (uint16_t)(hlo + i) : 0;
		m->ctr_port = (uint16_t)(clo + i);
	}
	return 0;
}

int capsa_port_exposed_parse(const char *key, struct capsa_port_map *out, struct capsa_error **err)
{
	_cleanup_free_ char *s = xstrdup(key);
	const char *proto = "tcp";
	char *slash = strchr(s, '/');
	if (slash) {
		*slash = '\0';
		proto = slash + 1;
	}
	uint64_t p;
	if ((strcmp(proto, "tcp") && strcmp(proto, "udp")) || capsa_parse_u64(s, &p) < 0 || p == 0 ||
	    p > 65535)
		return capsa_error_set(err, EINVAL, "invalid exposed port \"%s\"", key);
	memset(out, 0, sizeof(*out));
	snprintf(out->proto, sizeof(out->proto), "%s", proto);
	out->ctr_port = (uint16_t)p;
	return 0;
}

static bool loopback_ns(const char *line)
{
	const char *p = line + strlen("nameserver");
	while (*p == ' ' || *p == '\t')
		p++;
	/* 127.0.0.0/8 and ::1 are the host's own resolvers: unreachable from the container's namespace. */
	return strncmp(p, "127.", 4) == 0 || strncmp(p, "::1", 3) == 0;
}

char *capsa_resolv_conf_filter(const char *host, const char *fallback_ns)
{
	size_t cap = strlen(host) + 64 + (fallback_ns ? strlen(fallback_ns) : 0);
	char *out = xmalloc(cap);
	size_t len = 0;
	bool have_ns = false;
	const char *p = host;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		_cleanup_free_ char *line = xstrndup(p, l);
		bool is_ns = strncmp(line, "nameserver", 10) == 0 && (line[10] == ' ' || line[10] == '\t');
		if (!(is_ns && loopback_ns(line))) {
			have_ns |= is_ns;
			memcpy(out + len, line, l);
			len += l;
			out[len++] = '\n';
		}
		p += l + (nl ? 1 : 0);
	}
	if (!have_ns && fallback_ns)
		len += (size_t)snprintf(out + len, cap - len, "nameserver %s\n", fallback_ns);
	out[len] = '\0';
	return out;
}
