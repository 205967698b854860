/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A micro-VM on a capsa network (UML backend): an address from the network's IPAM and its record
 * (engine_network_vm_attach), a persistent tap capsa-t<id> on the network's bridge that linux.uml opens by
 * name (eth0=tuntap,TAP), and eth0's address for the guest's init in the config disk. The record names the
 * tap, so rm (engine_network_teardown) deletes it and releases the address as it does a container's veth.
 */
#include "engine/internal.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "netns/tap.h"
#include "vm/vmconfig.h"

#include <string.h>

/* Adds eth0's address to the encoded config block (decoded, amended, encoded again). */
static int config_add_net(char *block, uint32_t addr, unsigned prefix, uint32_t gw, struct capsa_error **err)
{
	struct capsa_vmcfg cfg;
	const char *why = NULL;
	if (capsa_vmcfg_decode(block, CAPSA_VMCFG_SIZE, &cfg, &why) < 0)
		return capsa_error_set(err, EINVAL, "the VM config: %s", why);
	cfg.net = true;
	cfg.net_addr = addr;
	cfg.net_prefix = prefix;
	cfg.net_gw = gw;
	int r = capsa_vmcfg_encode(&cfg, block, &why);
	capsa_vmcfg_free(&cfg);
	if (r < 0)
		return capsa_error_set(err, EINVAL, "the VM config: %s", why);
	return 0;
}

int engine_vm_net_setup(struct capsa_engine *e, const struct capsa_ctr *c, char *block,
			struct capsa_error **err)
{
	if (!c->network || !strcmp(c->network, "none"))
		return 0;
	if (!strcmp(c->network, "host"))
		return capsa_error_set(err, EINVAL,
				       "--vm: --network host: a micro-VM has its own kernel and stack");
	char tap[CAPSA_TAP_NAME_MAX + 1];
	if (capsa_tap_name_build(c->id, tap, sizeof(tap), err) < 0)
		return -1;
	uint32_t addr, gw;
	int prefix;
	_cleanup_free_ char *bridge = NULL;
	if (engine_network_vm_attach(e, c, tap, &addr, &gw, &prefix, &bridge, err) < 0)
		return -1;
	/* Persistent: linux.uml opens it again by name in the monitor's process, long after this one. */
	int fd = capsa_tap_create(tap, bridge, CAPSA_TAP_PERSIST, err);
	if (fd < 0)
		return capsa_error_prefix(err, "network %s", c->network);
	close(fd);
	return config_add_net(block, addr, (unsigned)prefix, gw, err);
}

/* id may be the first 12 characters of the container's id only: the tap's name takes the first 8. */
char *engine_vm_net_uml_arg(const char *id)
{
	char tap[CAPSA_TAP_NAME_MAX + 1];
	if (capsa_tap_name_build(id, tap, sizeof(tap), NULL) < 0 || !capsa_tap_is_tap(tap))
		return NULL;
	return xasprintf("eth0=tuntap,%s", tap);
}
