/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A micro-VM on a capsa network: it joins as a container does (engine_network_vm_attach: an address from
 * the network's IPAM, the published ports with their DNAT rules to the guest's address, the record), with
 * a persistent tap capsa-t<id> on the network's bridge that linux.uml opens by name (eth0=tuntap,TAP) or
 * the KVM backend's VMM as its virtio-net, and eth0's address for the guest's init in the config disk. The
 * record names the tap, so rm (engine_network_teardown) deletes it, its rules and its ports and releases
 * the address as it does a container's veth; its end releases the ports and their rules
 * (engine_network_release_ports, from the monitor) and a start takes them again (engine_network_ensure).
 */
#include "engine/internal.h"
#include "engine/vm_kvm.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "netns/tap.h"
#include "vm/vmconfig.h"

#include <string.h>

/* What the guest's init sets up besides the process (decoded, amended, encoded again): eth0's address when
 * addr is not 0, the hostname (the container's, given or its id's first 12) and /etc/hosts and
 * /etc/resolv.conf as a container with this record gets them. */
static int config_amend(struct capsa_engine *e, const struct capsa_ctr *c, char *block, uint32_t addr,
			unsigned prefix, uint32_t gw, struct capsa_error **err)
{
	struct capsa_vmcfg cfg;
	const char *why = NULL;
	if (capsa_vmcfg_decode(block, CAPSA_VMCFG_SIZE, &cfg, &why) < 0)
		return capsa_error_set(err, EINVAL, "the VM config: %s", why);
	if (addr) {
		cfg.net = true;
		cfg.net_addr = addr;
		cfg.net_prefix = prefix;
		cfg.net_gw = gw;
	}
	if (cfg.hostname == NULL && c->hostname)
		cfg.hostname = xstrdup(c->hostname);
	engine_etc_texts(e, c, &cfg.etc_hosts, &cfg.etc_resolv);
	int r = capsa_vmcfg_encode(&cfg, block, &why);
	capsa_vmcfg_free(&cfg);
	if (r < 0)
		return capsa_error_set(err, EINVAL, "the VM config: %s", why);
	return 0;
}

int engine_vm_net_setup(struct capsa_engine *e, struct capsa_image_store *s, const struct capsa_image *img,
			const struct capsa_run_opts *o, struct capsa_ctr *c, char *block,
			struct capsa_error **err)
{
	if (!c->network)
		return 0;
	if (!strcmp(c->network, "host"))
		return capsa_error_set(err, EINVAL,
				       "--vm: --network host: a micro-VM has its own kernel and stack");
	char tap[CAPSA_TAP_NAME_MAX + 1];
	if (capsa_tap_name_build(c->id, tap, sizeof(tap), err) < 0)
		return -1;
	uint32_t addr = 0, gw = 0;
	int prefix = 0;
	if (engine_network_vm_attach(e, s, img, o, c, tap, &addr, &gw, &prefix, err) < 0)
		return -1;
	return config_amend(e, c, block, addr, (unsigned)prefix, gw, err);
}

/* id may be the first 12 characters of the container's id only: the tap's name takes the first 8. */
char *engine_vm_net_uml_arg(const char *id)
{
	char tap[CAPSA_TAP_NAME_MAX + 1];
	if (capsa_tap_name_build(id, tap, sizeof(tap), NULL) < 0 || !capsa_tap_is_tap(tap))
		return NULL;
	/* The KVM backend's MAC: fixed per VM, so after a restart the host's neighbour entry for the address
	 * still points at the guest (UML picks a new MAC each boot, and the host would wait for the old one
	 * to time out). */
	uint8_t mac[6];
	engine_vm_kvm_mac(id, mac);
	return xasprintf("eth0=tuntap,%s,%02x:%02x:%02x:%02x:%02x:%02x", tap, mac[0], mac[1], mac[2], mac[3],
			 mac[4], mac[5]);
}
