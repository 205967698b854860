/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mount options of the runtime spec and mount(2) error hints. */
#define _GNU_SOURCE
#include "runtime/internal.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

struct mount_flag {
	const char *name;
	bool clear; /* the option clears the flag */
	unsigned long flag;
};

static const struct mount_flag flags_table[] = {
	{"ro", false, MS_RDONLY},
	{"rw", true, MS_RDONLY},
	{"nosuid", false, MS_NOSUID},
	{"suid", true, MS_NOSUID},
	{"nodev", false, MS_NODEV},
	{"dev", true, MS_NODEV},
	{"noexec", false, MS_NOEXEC},
	{"exec", true, MS_NOEXEC},
	{"sync", false, MS_SYNCHRONOUS},
	{"async", true, MS_SYNCHRONOUS},
	{"dirsync", false, MS_DIRSYNC},
	{"remount", false, MS_REMOUNT},
	{"mand", false, MS_MANDLOCK},
	{"nomand", true, MS_MANDLOCK},
	{"atime", true, MS_NOATIME},
	{"noatime", false, MS_NOATIME},
	{"diratime", true, MS_NODIRATIME},
	{"nodiratime", false, MS_NODIRATIME},
	{"relatime", false, MS_RELATIME},
	{"norelatime", true, MS_RELATIME},
	{"strictatime", false, MS_STRICTATIME},
	{"nostrictatime", true, MS_STRICTATIME},
	{"lazytime", false, MS_LAZYTIME},
	{"nolazytime", true, MS_LAZYTIME},
	{"nosymfollow", false, MS_NOSYMFOLLOW},
	{"symfollow", true, MS_NOSYMFOLLOW},
};

static const struct {
	const char *name;
	unsigned long flags;
} propagation_table[] = {
	{"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
	{"shared", MS_SHARED},	       {"rshared", MS_SHARED | MS_REC},
	{"slave", MS_SLAVE},	       {"rslave", MS_SLAVE | MS_REC},
	{"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

unsigned long propagation_parse(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(propagation_table); i++)
		if (strcmp(s, propagation_table[i].name) == 0)
			return propagation_table[i].flags;
	return 0;
}

int mount_opts_parse(char *const *options, size_t n, struct mount_opts *out, struct capsa_error **err)
{
	*out = (struct mount_opts){0};
	size_t cap = 1, len = 0;
	char *data = xzalloc(cap);
	for (size_t i = 0; i < n; i++) {
		const char *o = options[i];
		bool known = false;
		for (size_t j = 0; j < ARRAY_SIZE(flags_table); j++) {
			if (strcmp(o, flags_table[j].name) == 0) {
				if (flags_table[j].clear) {
					out->flags &= ~flags_table[j].flag;
					out->clear |= flags_table[j].flag;
				} else {
					out->flags |= flags_table[j].flag;
					out->clear &= ~flags_table[j].flag;
				}
				known = true;
				break;
			}
		}
		if (known)
			continue;
		unsigned long prop = propagation_parse(o);
		if (prop) {
			out->propagation = prop;
			continue;
		}
		if (strcmp(o, "bind") == 0) {
			out->bind = true;
			continue;
		}
		if (strcmp(o, "rbind") == 0) {
			out->bind = out->rbind = true;
			continue;
		}
		if (strcmp(o, "tmpcopyup") == 0 || strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0) {
			if (strcmp(o, "tmpcopyup") != 0) {
				free(data);
				return capsa_error_set(err, ENOTSUP, "mount option %s is not supported", o);
			}
			continue;
		}
		if (*o == '\0')
			continue;
		if (strchr(o, ',')) {
			free(data);
			return capsa_error_set(err, EINVAL, "mount option \"%s\" must not contain a comma",
					       o);
		}
		size_t l = strlen(o);
		data = xrealloc(data, cap = len + l + 2);
		if (len)
			data[len++] = ',';
		memcpy(data + len, o, l + 1);
		len += l;
	}
	if (len)
		out->data = data;
	else
		free(data);
	return 0;
}

void mount_opts_free(struct mount_opts *o)
{
	free(o->data);
	o->data = NULL;
}
