/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine/net_ports.c: the host-port registry's lines and a container record's port lists, with bad input. */
#include "engine/net_ports.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "tests/unit/tap.h"

#include <json-c/json.h>
#include <string.h>

static struct capsa_port_map map(const char *proto, const char *ip, unsigned host, unsigned ctr)
{
	struct capsa_port_map m = {.host_port = (uint16_t)host, .ctr_port = (uint16_t)ctr};
	snprintf(m.proto, sizeof(m.proto), "%s", proto);
	snprintf(m.host_ip, sizeof(m.host_ip), "%s", ip);
	return m;
}

static void drop(const char *text, const char *id, const char *want, const char *what)
{
	_cleanup_free_ char *got = engine_net_lines_drop(text, id);
	is_str(got, want, "lines of %s dropped: %s", id, what);
}

static void test_lines_drop(void)
{
	const char *reg = "tcp 8080 aaaa\nudp 53 bbbb\ntcp 9000 aaaa\n";
	drop(reg, "aaaa", "udp 53 bbbb\n", "every line of the id, the others kept in order");
	drop(reg, "aaa", reg, "an id that is a prefix of another is not it");
	drop(reg, "aaaaa", reg, "nor one that is longer");
	drop(reg, "8080", reg, "a field that is not the last is not the id");
	drop("tcp 1 x\n\n\ntcp 2 y", "x", "tcp 2 y\n", "empty lines go, the last line needs no newline");
	drop("", "x", "", "empty text");
	drop("10.1.0.2 aaaa\n10.1.0.3 bbbb\n", "bbbb", "10.1.0.2 aaaa\n", "an IPAM file alike");
	drop("noid\n", "noid", "noid\n", "a line without a space holds nobody");
}

static void test_registered(void)
{
	const char *reg = "tcp 8080 aaaa\nudp 53 bbbb\ntcp 80 cccc";
	struct capsa_port_map m = map("tcp", "", 8080, 80);
	ok(engine_net_port_registered(reg, &m), "tcp 8080 is registered");
	m = map("tcp", "127.0.0.1", 80, 1);
	ok(engine_net_port_registered(reg, &m), "tcp 80 on the last line without a newline");
	m = map("tcp", "", 808, 80);
	ok(!engine_net_port_registered(reg, &m), "tcp 808 is not 8080");
	m = map("tcp", "", 53, 53);
	ok(!engine_net_port_registered(reg, &m), "tcp 53 is not udp 53");
	m = map("udp", "", 53, 53);
	ok(engine_net_port_registered(reg, &m), "udp 53 is registered");
	m = map("tcp", "", 8080, 80);
	ok(!engine_net_port_registered("", &m), "nothing is registered in an empty registry");
	ok(!engine_net_port_registered("xtcp 8080 a\n", &m), "only at the start of a line");
	_cleanup_free_ char *left = engine_net_lines_drop(reg, "aaaa");
	ok(!engine_net_port_registered(left, &m), "no longer once its holder's lines are dropped");
}

static json_object *record(const char *json)
{
	json_object *o = json_tokener_parse(json);
	if (o == NULL)
		printf("# unparsable test record: %s\n", json);
	return o;
}

static void test_json_round_trip(void)
{
	struct capsa_port_map in[] = {map("tcp", "", 0, 80), map("udp", "127.0.0.1", 5353, 53),
				      map("tcp", "10.1.2.3", 65535, 65535)};
	json_object *o = json_object_new_object();
	json_object_object_add(o, "PortBindings", engine_net_ports_json(in, 3));
	json_object_object_add(o, "Ports", engine_net_ports_json(NULL, 0));
	json_object *back = record(json_object_to_json_string(o));
	_cleanup_free_ struct capsa_port_map *m = NULL, *p = NULL;
	size_t n = 9, np = 9;
	ok(engine_net_ports_parse(back, "PortBindings", &m, &n) && n == 3, "three bindings read back");
	ok(n == 3 && !memcmp(m, in, sizeof(in)), "each as written (ephemeral host port 0 kept)");
	ok(engine_net_ports_parse(back, "Ports", &p, &np) && np == 0, "an empty list is there, with none");
	json_object_put(back);
	json_object_put(o);
}

static void test_parse_bad(void)
{
	_cleanup_free_ struct capsa_port_map *m = NULL;
	size_t n = 9;
	json_object *o = record("{\"Ports\": {\"Proto\": \"tcp\"}}");
	ok(!engine_net_ports_parse(o, "PortBindings", &m, &n) && m == NULL && n == 0, "a missing key: none");
	ok(!engine_net_ports_parse(o, "Ports", &m, &n) && m == NULL && n == 0, "not an array: none");
	json_object_put(o);

	static const char *const bad[] = {
		"{\"Proto\":\"sctp\",\"HostIp\":\"\",\"HostPort\":1,\"ContainerPort\":1}",
		"{\"HostIp\":\"\",\"HostPort\":1,\"ContainerPort\":1}",
		"{\"Proto\":\"tcp\",\"HostIp\":\"\",\"HostPort\":70000,\"ContainerPort\":1}",
		"{\"Proto\":\"tcp\",\"HostIp\":\"\",\"HostPort\":-1,\"ContainerPort\":1}",
		"{\"Proto\":\"tcp\",\"HostIp\":\"\",\"HostPort\":1,\"ContainerPort\":0}",
		"{\"Proto\":\"tcp\",\"HostIp\":\"\",\"HostPort\":\"80\",\"ContainerPort\":1}",
		"{\"Proto\":\"tcp\",\"HostIp\":\"\",\"HostPort\":1}",
		"{\"Proto\":\"tcp\",\"HostIp\":\"1234567890.123456\",\"HostPort\":1,\"ContainerPort\":1}",
		"{\"Proto\":7,\"HostIp\":\"\",\"HostPort\":1,\"ContainerPort\":1}",
		"\"tcp 80\"",
		"null",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		_cleanup_free_ char *json = xasprintf(
			"{\"Ports\": [{\"Proto\":\"udp\",\"HostIp\":\"\",\"HostPort\":53,\"ContainerPort\":53}, %s]}",
			bad[i]);
		json_object *r = record(json);
		_cleanup_free_ struct capsa_port_map *p = NULL;
		size_t np = 0;
		ok(r && engine_net_ports_parse(r, "Ports", &p, &np) && np == 1 && p[0].host_port == 53,
		   "skipped, the good one kept: %s", bad[i]);
		json_object_put(r);
	}
}

int main(void)
{
	test_lines_drop();
	test_registered();
	test_json_round_trip();
	test_parse_bad();
	return tap_done();
}
