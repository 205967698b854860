/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for -p port specs, ExposedPorts keys, subnets, addresses and resolv.conf filtering.
 * Built by `make fuzz` (tests/fuzz.mk).
 */
#include "netns/netns.h"
#include "common/cleanup.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	struct capsa_error *err = NULL;

	struct capsa_port_map *m = NULL;
	size_t n = 0;
	if (capsa_port_spec_parse(s, &m, &n, &err) == 0) {
		/* Every map is a real port and a known protocol; host ports are all given or all ephemeral.
		 */
		if (n == 0 || n > 1024)
			__builtin_trap();
		for (size_t i = 0; i < n; i++) {
			if (m[i].ctr_port == 0 || (strcmp(m[i].proto, "tcp") && strcmp(m[i].proto, "udp")) ||
			    (m[i].host_port == 0) != (m[0].host_port == 0))
				__builtin_trap();
			uint32_t a;
			if (m[i].host_ip[0] && capsa_ipv4_parse(m[i].host_ip, &a) < 0)
				__builtin_trap();
		}
	} else if (err == NULL || n != 0) {
		__builtin_trap(); /* a refusal always says why and adds nothing */
	}
	free(m);
	capsa_error_clear(&err);

	struct capsa_port_map e;
	(void)capsa_port_exposed_parse(s, &e, NULL);

	uint32_t net;
	int prefix;
	if (capsa_cidr_parse(s, &net, &prefix, &err) == 0) {
		char buf[16];
		char *again = xasprintf("%s/%d", capsa_ipv4_str(net, buf), prefix);
		uint32_t net2;
		int p2;
		/* Printing and parsing again gives the same subnet. */
		if (capsa_cidr_parse(again, &net2, &p2, NULL) < 0 || net2 != net || p2 != prefix)
			__builtin_trap();
		free(again);
	}
	capsa_error_clear(&err);

	char *r = capsa_resolv_conf_filter(s, "10.88.0.1");
	if (strstr(r, "nameserver 127.") == r)
		__builtin_trap();
	free(r);
	free(s);
	return 0;
}
