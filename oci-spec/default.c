/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The default config.json of `capsa-runtime spec`, for root and for rootless use. */
#include "oci-spec/json-internal.h"

#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static char **strv_of(const char *const *list, size_t *n)
{
	size_t len = 0;
	while (list[len])
		len++;
	char **v = xcalloc(len + 1, sizeof(char *));
	for (size_t i = 0; i < len; i++)
		v[i] = xstrdup(list[i]);
	*n = len;
	return v;
}

#define STRV(n, ...) strv_of((const char *const[]){__VA_ARGS__, NULL}, (n))

static void add_mount(struct oci_config *c, const char *dest, const char *type, const char *source,
		      const char *const *options)
{
	struct oci_mount *m = &c->mounts[c->n_mounts++];
	m->destination = xstrdup(dest);
	m->type = xstrdup(type);
	m->source = xstrdup(source);
	if (options)
		m->options = strv_of(options, &m->n_options);
}

#define OPTS(...) ((const char *const[]){__VA_ARGS__, NULL})

static struct oci_process *default_process(void)
{
	struct oci_process *p = xzalloc(sizeof(*p));
	p->terminal = true;
	p->args = STRV(&p->n_args, "sh");
	p->env = STRV(&p->n_env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		      "TERM=xterm");
	p->cwd = xstrdup("/");
	struct oci_capabilities *caps = p->capabilities = xzalloc(sizeof(*caps));
	caps->bounding = STRV(&caps->n_bounding, "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
	caps->effective = STRV(&caps->n_effective, "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
	caps->permitted = STRV(&caps->n_permitted, "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
	p->rlimits = xcalloc(1, sizeof(*p->rlimits));
	p->n_rlimits = 1;
	p->rlimits[0] = (struct oci_rlimit){
		.type = xstrdup("RLIMIT_NOFILE"), .resource = RLIMIT_NOFILE, .hard = 1024, .soft = 1024};
	p->no_new_privileges = true;
	return p;
}

static void add_namespace(struct oci_linux *l, enum oci_ns_type t)
{
	l->namespaces[l->n_namespaces++].type = t;
}

static struct oci_linux *default_linux(bool rootless)
{
	struct oci_linux *l = xzalloc(sizeof(*l));
	l->namespaces = xcalloc(OCI_NS_COUNT, sizeof(*l->namespaces));
	add_namespace(l, OCI_NS_PID);
	if (!rootless)
		add_namespace(l, OCI_NS_NETWORK);
	add_namespace(l, OCI_NS_IPC);
	add_namespace(l, OCI_NS_UTS);
	add_namespace(l, OCI_NS_MOUNT);
	if (rootless) {
		add_namespace(l, OCI_NS_USER);
		l->uid_mappings = xcalloc(1, sizeof(*l->uid_mappings));
		l->uid_mappings[0] =
			(struct oci_id_mapping){.container_id = 0, .host_id = geteuid(), .size = 1};
		l->n_uid_mappings = 1;
		l->gid_mappings = xcalloc(1, sizeof(*l->gid_mappings));
		l->gid_mappings[0] =
			(struct oci_id_mapping){.container_id = 0, .host_id = getegid(), .size = 1};
		l->n_gid_mappings = 1;
	} else {
		add_namespace(l, OCI_NS_CGROUP);
		struct oci_resources *r = l->resources = xzalloc(sizeof(*r));
		r->devices = xcalloc(1, sizeof(*r->devices));
		r->n_devices = 1;
		r->devices[0] =
			(struct oci_device_rule){.allow = false, .type = 'a', .access = xstrdup("rwm")};
	}
	l->masked_paths =
		STRV(&l->n_masked_paths, "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
		     "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
		     "/sys/firmware", "/proc/scsi", "/sys/devices/virtual/powercap");
	l->readonly_paths = STRV(&l->n_readonly_paths, "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
				 "/proc/sysrq-trigger");
	return l;
}

struct oci_config *capsa_oci_config_default(bool rootless)
{
	struct oci_config *c = xzalloc(sizeof(*c));
	c->oci_version = xstrdup(CAPSA_OCI_VERSION);
	c->process = default_process();
	c->root = xzalloc(sizeof(*c->root));
	c->root->path = xstrdup("rootfs");
	c->root->readonly = true;
	c->hostname = xstrdup("capsa");

	c->mounts = xcalloc(7, sizeof(*c->mounts));
	add_mount(c, "/proc", "proc", "proc", NULL);
	add_mount(c, "/dev", "tmpfs", "tmpfs", OPTS("nosuid", "strictatime", "mode=755", "size=65536k"));
	if (rootless)
		add_mount(c, "/dev/pts", "devpts", "devpts",
			  OPTS("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"));
	else
		add_mount(c, "/dev/pts", "devpts", "devpts",
			  OPTS("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"));
	add_mount(c, "/dev/shm", "tmpfs", "shm",
		  OPTS("nosuid", "noexec", "nodev", "mode=1777", "size=65536k"));
	add_mount(c, "/dev/mqueue", "mqueue", "mqueue", OPTS("nosuid", "noexec", "nodev"));
	if (rootless) {
		/* A user namespace that does not own a network namespace may not mount sysfs: bind the
		 * host's. */
		add_mount(c, "/sys", "none", "/sys", OPTS("rbind", "nosuid", "noexec", "nodev", "ro"));
	} else {
		add_mount(c, "/sys", "sysfs", "sysfs", OPTS("nosuid", "noexec", "nodev", "ro"));
		add_mount(c, "/sys/fs/cgroup", "cgroup", "cgroup",
			  OPTS("nosuid", "noexec", "nodev", "relatime", "ro"));
	}
	c->linux_ = default_linux(rootless);
	return c;
}
