/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tap devices on a capsa bridge. The tap is made through /dev/net/tun (TUNSETIFF with an exact name, so an
 * existing device of that name is an error rather than silently reused), then libnl enslaves it to the
 * bridge and sets it up, as netns/link.c does for veths.
 */
#define _GNU_SOURCE
#include "netns/tap.h"
#include "netns/netns.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#define TAP_PREFIX "capsa-t"

static bool id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.' || c == '-';
}

int capsa_tap_name_build(const char *id, char *buf, size_t size, struct capsa_error **err)
{
	if (id == NULL || id[0] == '\0')
		return capsa_error_set(err, EINVAL, "invalid tap id \"\": empty");
	for (const char *p = id; *p; p++)
		if (!id_char(*p))
			return capsa_error_set(err, EINVAL, "invalid tap id \"%s\": only [a-zA-Z0-9_.-]", id);
	if (size < CAPSA_TAP_NAME_MAX + 1)
		return capsa_error_set(err, ENOBUFS, "tap name buffer of %zu bytes", size);
	snprintf(buf, size, "%s%.*s", TAP_PREFIX, CAPSA_TAP_NAME_MAX - (int)strlen(TAP_PREFIX), id);
	return 0;
}

int capsa_tap_name_validate(const char *name, struct capsa_error **err)
{
	size_t n = strlen(name);
	if (n <= strlen("capsa-") || n > CAPSA_TAP_NAME_MAX)
		return capsa_error_set(err, EINVAL, "invalid tap name \"%s\": 7 to %d characters", name,
				       CAPSA_TAP_NAME_MAX);
	/* capsa only ever creates or deletes its own devices, never an interface a user made. */
	if (strncmp(name, "capsa-", 6) != 0)
		return capsa_error_set(err, EINVAL, "invalid tap name \"%s\": must start with \"capsa-\"",
				       name);
	for (size_t i = 0; i < n; i++)
		if (!id_char(name[i]))
			return capsa_error_set(err, EINVAL, "invalid tap name \"%s\": only [a-zA-Z0-9_.-]",
					       name);
	return 0;
}

int capsa_tap_create(const char *name, const char *bridge, unsigned flags, struct capsa_error **err)
{
	if (capsa_tap_name_validate(name, err) < 0)
		return -1;
	if (bridge && capsa_ifname_validate(bridge, err) < 0)
		return -1;
	if (capsa_link_exists(name))
		return capsa_error_set(err, EEXIST, "tap %s: an interface of that name exists", name);
	_cleanup_close_ int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return capsa_error_errno(err, "open /dev/net/tun");
	struct ifreq ifr = {0};
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (flags & CAPSA_TAP_VNET_HDR)
		ifr.ifr_flags |= IFF_VNET_HDR;
	/* IFF_TUN_EXCL: a tun made by someone else a moment ago under this name is an error, not reused. */
	ifr.ifr_flags |= IFF_TUN_EXCL;
	memcpy(ifr.ifr_name, name, strlen(name) + 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return capsa_error_errno(err, "create tap %s", name);
	if ((flags & CAPSA_TAP_PERSIST) && ioctl(fd, TUNSETPERSIST, 1) < 0) {
		capsa_error_errno(err, "make tap %s persistent", name);
		return -1; /* closing the only fd removes a tap that is not persistent */
	}
	if (capsa_link_attach(name, bridge, err) < 0) {
		capsa_error_prefix(err, "tap %s", name);
		if (flags & CAPSA_TAP_PERSIST) {
			_cleanup_error_ struct capsa_error *e2 = NULL;
			if (capsa_link_delete(name, &e2) < 0)
				capsa_log(CAPSA_LOG_WARN, "remove tap %s: %s", name, e2->msg);
		}
		return -1;
	}
	return TAKE_FD(fd);
}

int capsa_tap_delete(const char *name, struct capsa_error **err)
{
	if (capsa_tap_name_validate(name, err) < 0)
		return -1;
	if (!capsa_link_exists(name))
		return 0;
	if (!capsa_tap_is_tap(name))
		return capsa_error_set(err, EINVAL, "remove tap %s: the interface is not a tap", name);
	return capsa_link_delete(name, err);
}

bool capsa_tap_is_tap(const char *name)
{
	char path[64], buf[32] = {0};
	/* tun_flags exists only for tun/tap devices; IFF_TAP tells the two apart. */
	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", name);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	return (strtoul(buf, NULL, 16) & IFF_TAP) != 0;
}
