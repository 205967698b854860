/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmnet: runs a guest program with a virtio-net device on a fresh tap and plays the host's side of the
 * wire through an AF_PACKET socket on that tap.
 *   vmnet [--cmdline S] [--count N] [--size B] [--bridge BR] [--keep] TAP GUEST.elf
 * It waits for the guest's ARP request, sends N frames of ethertype 0x88b5 (B bytes each, all different)
 * to the guest's MAC and checks each comes back unchanged from it. Prints what it saw and the VM's exit
 * counts; exits with the guest's status, 125 when the VMM or the host side failed. The tap goes away
 * with the process (it is not persistent) unless --keep: then it stays until `vmnet --delete TAP`.
 */
#define _GNU_SOURCE
#include "vm/vm.h"
#include "netns/tap.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#define ETH_ECHO 0x88b5
/* A bound on a wait that only ends early when something is broken; the guest answers in milliseconds. */
#define WAIT_MS 120000

static const uint8_t guest_mac[6] = {0x02, 0xca, 0x95, 0x00, 0x00, 0x2a};

/* Readable once the VM has ended: the host side stops waiting for frames that can no longer come. */
static int vm_done = -1;

struct vm_thread {
	struct capsa_vm_config cfg;
	struct capsa_vm_result res;
	int rc;
	struct capsa_error *err;
};

static void *run_vm(void *arg)
{
	struct vm_thread *v = arg;
	v->rc = capsa_vm_run(&v->cfg, &v->res, &v->err);
	uint64_t one = 1;
	(void)!write(vm_done, &one, sizeof(one));
	return NULL;
}

static int die(const char *what)
{
	fprintf(stderr, "vmnet: %s: %m\n", what);
	return -1;
}

/* The next frame from the guest of this ethertype (0: any), into buf; its length or -1. */
static ssize_t recv_from_guest(int s, uint16_t type, uint8_t *buf, size_t size)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = s, .events = POLLIN}, {.fd = vm_done, .events = POLLIN}};
		int r = poll(p, 2, WAIT_MS);
		if (r <= 0 || !(p[0].revents & POLLIN)) {
			fprintf(stderr, "vmnet: nothing from the guest%s\n", r > 0 ? " before it ended" : "");
			return -1;
		}
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s, buf, size, 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return die("recv");
		/* Our own injected frames show up as outgoing on the same interface. */
		if (from.sll_pkttype == PACKET_OUTGOING || n < 14 || memcmp(buf + 6, guest_mac, 6) != 0)
			continue;
		if (type == 0 || ((buf[12] << 8) | buf[13]) == type)
			return n;
	}
}

static int host_side(int s, int ifindex, uint64_t count, size_t size)
{
	uint8_t buf[4096], out[4096];
	ssize_t n = recv_from_guest(s, ETH_P_ARP, buf, sizeof(buf));
	if (n < 0)
		return -1;
	if (n < 42 || buf[21] != 1 || memcmp(buf, "\xff\xff\xff\xff\xff\xff", 6) != 0) {
		fprintf(stderr, "vmnet: the guest's ARP frame is malformed\n");
		return -1;
	}
	printf("host: arp who-has %u.%u.%u.%u tell %u.%u.%u.%u from %02x:%02x:%02x:%02x:%02x:%02x\n", buf[38],
	       buf[39], buf[40], buf[41], buf[28], buf[29], buf[30], buf[31], buf[6], buf[7], buf[8], buf[9],
	       buf[10], buf[11]);
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6};
	memcpy(to.sll_addr, guest_mac, 6);
	/* All frames first: the guest takes them from the tap's queue as fast as it posts buffers. */
	for (uint64_t i = 0; i < count; i++) {
		memcpy(out, guest_mac, 6);
		memcpy(out + 6, "\x02\xca\x95\x00\x00\x01", 6);
		out[12] = ETH_ECHO >> 8, out[13] = ETH_ECHO & 0xff;
		for (size_t k = 14; k < size; k++)
			out[k] = (uint8_t)(k * 7 + i);
		if (sendto(s, out, size, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)size)
			return die("send a frame to the guest");
	}
	for (uint64_t i = 0; i < count; i++) {
		n = recv_from_guest(s, ETH_ECHO, buf, sizeof(buf));
		if (n < 0)
			return -1;
		bool good = (size_t)n == size && !memcmp(buf, "\x02\xca\x95\x00\x00\x01", 6);
		for (size_t k = 14; good && k < size; k++)
			good = buf[k] == (uint8_t)(k * 7 + i);
		if (!good) {
			fprintf(stderr, "vmnet: echo %llu differs (%zd bytes)\n", (unsigned long long)i, n);
			return -1;
		}
	}
	printf("host: %llu echoes of %zu bytes ok\n", (unsigned long long)count, size);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"cmdline", required_argument, NULL, 'l'},
		{"count", required_argument, NULL, 'n'},
		{"size", required_argument, NULL, 's'},
		{"bridge", required_argument, NULL, 'b'},
		{"keep", no_argument, NULL, 'k'},
		{"delete", required_argument, NULL, 'd'},
		{NULL, 0, NULL, 0},
	};
	const char *cmdline = "", *bridge = NULL;
	uint64_t count = 1, size = 64;
	bool keep = false;
	struct capsa_error *err = NULL;
	_cleanup_free_ char *_t = NULL; /* an error's text, printed once before exiting */
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'l':
			cmdline = optarg;
			break;
		case 'n':
		case 's':
			if (capsa_parse_u64(optarg, o == 'n' ? &count : &size) < 0) {
				fprintf(stderr, "vmnet: bad number %s\n", optarg);
				return 125;
			}
			break;
		case 'b':
			bridge = optarg;
			break;
		case 'k':
			keep = true;
			break;
		case 'd':
			if (capsa_tap_delete(optarg, &err) < 0) {
				fprintf(stderr, "vmnet: %s\n", _t = capsa_error_text(err));
				return 125;
			}
			return 0;
		default:
			return 125;
		}
	}
	if (optind != argc - 2 || size < 14 || size > 1514) {
		fprintf(stderr,
			"usage: vmnet [--cmdline S] [--count N] [--size 14..1514] [--bridge BR] [--keep] "
			"TAP GUEST.elf\n");
		return 125;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	vm_done = eventfd(0, EFD_CLOEXEC);
	bool evil = strstr(cmdline, "do=evil") != NULL;
	if (evil)
		count = 0; /* the hostile run checks the device's recovery with the ARP alone */
	_cleanup_free_ char *guest_cmdline = xasprintf("count=%llu %s", (unsigned long long)count, cmdline);
	const char *tap = argv[optind];
	int fd = capsa_tap_create(tap, bridge, keep ? CAPSA_TAP_PERSIST : 0, &err);
	if (fd < 0) {
		fprintf(stderr, "vmnet: %s\n", _t = capsa_error_text(err));
		return 125;
	}
	printf("host: tap %s up%s%s\n", tap, bridge ? " on " : "", bridge ? bridge : "");
	if (keep)
		return 0; /* the test looks at the persistent tap, then deletes it */
	/* The host's IPv6 chatter on the tap would only be noise for the guest to skip. */
	_cleanup_free_ char *knob = xasprintf("/proc/sys/net/ipv6/conf/%s/disable_ipv6", tap);
	struct capsa_error *e2 = NULL;
	if (capsa_write_existing_at(AT_FDCWD, knob, "1", 1, &e2) < 0)
		capsa_error_free(e2);
	int ifindex = (int)if_nametoindex(tap);
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = ifindex};
	if (s < 0 || bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		die("packet socket on the tap");
		return 125;
	}

	struct vm_thread v = {.cfg = {.kernel = argv[optind + 1],
				      .cmdline = guest_cmdline,
				      .serial_out_fd = 1,
				      .console_in_fd = -1,
				      .console_out_fd = -1,
				      .stop_fd = eventfd(0, EFD_CLOEXEC),
				      .net_tap_fd = fd}};
	memcpy(v.cfg.net_mac, guest_mac, 6);
	pthread_t th;
	if (pthread_create(&th, NULL, run_vm, &v) != 0) {
		fprintf(stderr, "vmnet: cannot start the VM thread\n");
		return 125;
	}
	int host = host_side(s, ifindex, count, size);
	if (host < 0) {
		uint64_t one = 1;
		(void)!write(v.cfg.stop_fd, &one, sizeof(one));
	}
	pthread_join(th, NULL);
	if (v.rc < 0) {
		fprintf(stderr, "vmnet: %s\n", _t = capsa_error_text(v.err));
		return 125;
	}
	const struct capsa_vm_exits *x = &v.res.exits;
	printf("exits: total %llu io %llu mmio %llu hlt %llu\n", (unsigned long long)x->total,
	       (unsigned long long)x->io, (unsigned long long)x->mmio, (unsigned long long)x->hlt);
	int status = 0;
	if (capsa_vm_result_status(&v.res, &status, &err) < 0) {
		fprintf(stderr, "vmnet: %s\n", _t = capsa_error_text(err));
		return 125;
	}
	return host < 0 ? 125 : status;
}
