/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netns/ parsers: -p specs, subnets, addresses, names, the allocator's choice, resolv.conf filtering. */
#include "netns/netns.h"
#include "common/cleanup.h"
#include "tests/unit/tap.h"

#include <errno.h>
#include <string.h>

static void port_good(const char *spec, size_t want_n, const char *proto, const char *ip, unsigned host,
		      unsigned ctr)
{
	_cleanup_free_ struct capsa_port_map *m = NULL;
	size_t n = 0;
	struct capsa_error *err = NULL;
	int r = capsa_port_spec_parse(spec, &m, &n, &err);
	if (!ok(r == 0 && n == want_n, "-p %s gives %zu maps", spec, want_n)) {
		printf("#   r=%d n=%zu error: %s\n", r, n, err ? err->msg : "-");
		capsa_error_free(err);
		return;
	}
	ok(!strcmp(m[0].proto, proto) && !strcmp(m[0].host_ip, ip) && m[0].host_port == host &&
		   m[0].ctr_port == ctr,
	   "-p %s: %s %s:%u -> %u (got %s %s:%u -> %u)", spec, proto, ip, host, ctr, m[0].proto, m[0].host_ip,
	   m[0].host_port, m[0].ctr_port);
	if (want_n > 1)
		ok(m[n - 1].ctr_port == ctr + want_n - 1 &&
			   (host == 0 || m[n - 1].host_port == host + want_n - 1),
		   "-p %s: the range's last map", spec);
}

static void port_bad(const char *spec, const char *why)
{
	_cleanup_free_ struct capsa_port_map *m = NULL;
	size_t n = 0;
	struct capsa_error *err = NULL;
	int r = capsa_port_spec_parse(spec, &m, &n, &err);
	_cleanup_free_ char *named = xasprintf("invalid port spec \"%s\"", spec);
	ok(r == -1 && n == 0 && err && strstr(err->msg, named) && strstr(err->msg, why),
	   "-p \"%s\" refused: %s", spec, why);
	if (err && (!strstr(err->msg, why) || !strstr(err->msg, named)))
		printf("#   got: %s\n", err->msg);
	capsa_error_free(err);
}

static void cidr_good(const char *s, const char *net, int prefix)
{
	uint32_t a = 0, want = 0;
	int p = 0;
	struct capsa_error *err = NULL;
	int r = capsa_cidr_parse(s, &a, &p, &err);
	capsa_ipv4_parse(net, &want);
	ok(r == 0 && a == want && p == prefix, "subnet %s", s);
	capsa_error_free(err);
}

static void cidr_bad(const char *s, const char *why)
{
	uint32_t a;
	int p;
	struct capsa_error *err = NULL;
	int r = capsa_cidr_parse(s, &a, &p, &err);
	ok(r == -1 && err && strstr(err->msg, s) && strstr(err->msg, why), "subnet \"%s\" refused: %s", s,
	   why);
	if (err && !strstr(err->msg, why))
		printf("#   got: %s\n", err->msg);
	capsa_error_free(err);
}

int main(void)
{
	port_good("80", 1, "tcp", "", 0, 80);
	port_good("8080:80", 1, "tcp", "", 8080, 80);
	port_good("127.0.0.1:8080:80/udp", 1, "udp", "127.0.0.1", 8080, 80);
	port_good("127.0.0.1::80", 1, "tcp", "127.0.0.1", 0, 80);
	port_good("0.0.0.0:8080:80", 1, "tcp", "", 8080, 80);
	port_good(":80", 1, "tcp", "", 0, 80);
	port_good("8000-8003:80-83", 4, "tcp", "", 8000, 80);
	port_good("53-54/udp", 2, "udp", "", 0, 53);
	port_good("65535:65535/tcp", 1, "tcp", "", 65535, 65535);
	port_bad("", "bad container port");
	port_bad("8080:", "bad container port \"\"");
	port_bad("80:abc", "bad container port \"abc\"");
	port_bad("abc:80", "bad host port \"abc\"");
	port_bad("0", "bad container port \"0\"");
	port_bad("70000", "bad container port");
	port_bad("80-70", "bad container port");
	port_bad("1-3:1-2", "differ in length");
	port_bad("8080:80/sctp", "unknown protocol \"sctp\"");
	port_bad("8080:80/", "unknown protocol");
	port_bad("1:2:3:4", "too many ':'");
	port_bad("999.1.1.1:80:80", "is not an IPv4 address");
	port_bad("localhost:80:80", "is not an IPv4 address");
	port_bad("[::1]:80:80", "IPv6");
	port_bad("1-2000", "more than 1024 ports");
	port_bad(" 80", "bad container port");
	port_bad("+80", "bad container port");

	struct capsa_port_map e;
	struct capsa_error *err = NULL;
	ok(capsa_port_exposed_parse("80/tcp", &e, NULL) == 0 && e.ctr_port == 80 && !strcmp(e.proto, "tcp"),
	   "ExposedPorts 80/tcp");
	ok(capsa_port_exposed_parse("53/udp", &e, NULL) == 0 && e.ctr_port == 53 && !strcmp(e.proto, "udp"),
	   "ExposedPorts 53/udp");
	ok(capsa_port_exposed_parse("8080", &e, NULL) == 0 && e.ctr_port == 8080 && !strcmp(e.proto, "tcp"),
	   "ExposedPorts 8080 is tcp");
	ok(capsa_port_exposed_parse("80/sctp", &e, &err) == -1 && strstr(err->msg, "80/sctp"),
	   "ExposedPorts 80/sctp refused");
	capsa_error_clear(&err);

	cidr_good("10.88.0.0/16", "10.88.0.0", 16);
	cidr_good("192.168.1.0/24", "192.168.1.0", 24);
	cidr_good("10.0.0.0/8", "10.0.0.0", 8);
	cidr_good("10.231.7.4/30", "10.231.7.4", 30);
	cidr_bad("10.0.0.1/24", "it should be 10.0.0.0/24");
	cidr_bad("300.1.1.0/24", "is not an IPv4 address");
	cidr_bad("10.0.0.0/33", "bad prefix length");
	cidr_bad("10.0.0.0/4", "8 to 30");
	cidr_bad("10.0.0.0/31", "8 to 30");
	cidr_bad("10.0.0.0", "expected ADDRESS/PREFIX");
	cidr_bad("10.0.0.0/", "bad prefix length");
	cidr_bad("10.0.0.0/-1", "bad prefix length");
	cidr_bad("nonsense/24", "is not an IPv4 address");

	uint32_t a;
	ok(capsa_ipv4_parse("1.2.3.4", &a) == 0 && a == 0x01020304, "1.2.3.4");
	ok(capsa_ipv4_parse("255.255.255.255", &a) == 0 && a == 0xffffffff, "255.255.255.255");
	const char *bad_ips[] = {"1.2.3",    "1.2.3.4.5", "1.2.3.256", "01.2.3.4", "1..3.4",
				 "1.2.3.4 ", "",	  "a.b.c.d",   "1.2.3.-4"};
	for (size_t i = 0; i < ARRAY_SIZE(bad_ips); i++)
		ok(capsa_ipv4_parse(bad_ips[i], &a) == -1, "address \"%s\" refused", bad_ips[i]);
	char buf[16];
	is_str(capsa_ipv4_str(0x0a580002, buf), "10.88.0.2", "10.88.0.2 printed");

	/* The allocator: lowest free, never network, broadcast or gateway; full is ENOSPC. */
	uint32_t net = 0x0a000000, out = 0;
	ok(capsa_ipam_pick(net, 24, net + 1, NULL, 0, &out) == 0 && out == net + 2,
	   "first address after the gateway");
	uint32_t used[] = {net + 2, net + 3, net + 5};
	ok(capsa_ipam_pick(net, 24, net + 1, used, 3, &out) == 0 && out == net + 4, "a hole is reused");
	ok(capsa_ipam_pick(net, 24, net + 100, NULL, 0, &out) == 0 && out == net + 1,
	   "gateway elsewhere: .1 is free");
	uint32_t full[] = {net + 2};
	ok(capsa_ipam_pick(net, 30, net + 1, full, 1, &out) == -1 && errno == ENOSPC, "a full /30 is ENOSPC");
	ok(capsa_cidr_contains(net, 24, net + 255) && !capsa_cidr_contains(net, 24, net + 256), "contains");

	ok(capsa_network_name_validate("capsa-test-abc_1.x", NULL) == 0, "network name with - _ .");
	const char *bad_names[] = {"", "-x", "a/b", "a b", "a:b", "ä"};
	for (size_t i = 0; i < ARRAY_SIZE(bad_names); i++) {
		ok(capsa_network_name_validate(bad_names[i], &err) == -1 &&
			   strstr(err->msg, "invalid network name"),
		   "network name \"%s\" refused", bad_names[i]);
		capsa_error_clear(&err);
	}
	char longname[66];
	memset(longname, 'a', 65);
	longname[65] = '\0';
	ok(capsa_network_name_validate(longname, NULL) == -1, "65-character network name refused");
	ok(capsa_ifname_validate("br-0123456789ab", NULL) == 0, "15-character interface name");
	ok(capsa_ifname_validate("br-0123456789abc", NULL) == -1, "16-character interface name refused");
	ok(capsa_ifname_validate("a/b", NULL) == -1 && capsa_ifname_validate("..", NULL) == -1 &&
		   capsa_ifname_validate("a b", NULL) == -1 && capsa_ifname_validate("", NULL) == -1,
	   "interface names with / or blanks, \"..\" and \"\" refused");

	uint8_t mac[6];
	capsa_mac_from_ipv4(0x0a580002, mac);
	ok(mac[0] == 2 && mac[1] == 0x42 && mac[2] == 10 && mac[3] == 88 && mac[4] == 0 && mac[5] == 2,
	   "MAC 02:42:0a:58:00:02");

	_cleanup_free_ char *r1 = capsa_resolv_conf_filter(
		"# generated\nnameserver 127.0.0.53\nnameserver 9.9.9.9\nsearch example.org\n", "10.88.0.1");
	is_str(r1, "# generated\nnameserver 9.9.9.9\nsearch example.org\n", "loopback nameserver dropped");
	_cleanup_free_ char *r2 =
		capsa_resolv_conf_filter("nameserver 127.0.0.53\nnameserver ::1\noptions edns0", "10.88.0.1");
	is_str(r2, "options edns0\nnameserver 10.88.0.1\n", "only loopback: the fallback");
	_cleanup_free_ char *r3 = capsa_resolv_conf_filter("", NULL);
	is_str(r3, "", "empty stays empty without a fallback");
	_cleanup_free_ char *r4 =
		capsa_resolv_conf_filter("nameserver\t127.0.0.1\nnameservers 1.1.1.1\n", "x");
	is_str(r4, "nameservers 1.1.1.1\nnameserver x\n", "a tab separates; nameservers is not nameserver");
	return tap_done();
}
