/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The OCI config of a container: capsa-runtime's default, then the image's process (entrypoint, cmd,
 * env, user, workdir), then docker's defaults (its 14 capabilities, the default seccomp profile,
 * masked /proc paths, /dev/shm 64 MiB, /etc/hostname, /etc/hosts, /etc/resolv.conf), then the flags.
 */
#define _GNU_SOURCE
#include "engine/internal.h"
#include "runtime/runtime.h"
#include "common/cleanup.h"
#include "common/path.h"
#include "common/util.h"
#include "runtime/seccomp.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static const char *const docker_caps[] = {
	"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",	   "CAP_FOWNER",
	"CAP_MKNOD",   "CAP_NET_RAW",	   "CAP_SETGID",	   "CAP_SETUID",
	"CAP_SETFCAP", "CAP_SETPCAP",	   "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
	"CAP_KILL",    "CAP_AUDIT_WRITE",
};

static char *cap_name(const char *s)
{
	char *n = capsa_str_has_prefix(s, "CAP_") || capsa_str_has_prefix(s, "cap_") ? xstrdup(s)
										     : xasprintf("CAP_%s", s);
	for (char *p = n; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return n;
}

static bool known_cap(const char *n)
{
	return capsa_cap_known(n);
}

/* The capability set: docker's default (or all when privileged), + cap_add, - cap_drop. */
static int cap_set(const struct capsa_run_opts *o, char ***out, size_t *n, struct capsa_error **err)
{
	char **caps = NULL;
	size_t k = 0;
	bool drop_all = false;
	for (size_t i = 0; i < o->n_cap_drop; i++)
		if (strcasecmp(o->cap_drop[i], "ALL") == 0)
			drop_all = true;
	if (o->privileged) {
		/* Every capability in number order; one we lack ourselves cannot be given. */
		for (int i = 0; i < capsa_cap_count(); i++)
			if (capsa_cap_name(i) && prctl(PR_CAPBSET_READ, (unsigned long)i, 0, 0, 0) == 1)
				capsa_strv_push(&caps, capsa_cap_name(i)), k++;
	} else if (!drop_all) {
		for (size_t i = 0; i < ARRAY_SIZE(docker_caps); i++, k++)
			capsa_strv_push(&caps, docker_caps[i]);
	}
	for (size_t i = 0; i < o->n_cap_add; i++) {
		if (strcasecmp(o->cap_add[i], "ALL") == 0) {
			for (int j = 0; j < capsa_cap_count(); j++)
				if (capsa_cap_name(j) && !capsa_strv_contains(caps, capsa_cap_name(j)))
					capsa_strv_push(&caps, capsa_cap_name(j)), k++;
			continue;
		}
		_cleanup_free_ char *nm = cap_name(o->cap_add[i]);
		if (!known_cap(nm)) {
			capsa_strv_free(caps);
			return capsa_error_set(err, EINVAL, "unknown capability to add: \"%s\"",
					       o->cap_add[i]);
		}
		if (!capsa_strv_contains(caps, nm))
			capsa_strv_push(&caps, nm), k++;
	}
	for (size_t i = 0; i < o->n_cap_drop; i++) {
		if (strcasecmp(o->cap_drop[i], "ALL") == 0)
			continue;
		_cleanup_free_ char *nm = cap_name(o->cap_drop[i]);
		if (!known_cap(nm)) {
			capsa_strv_free(caps);
			return capsa_error_set(err, EINVAL, "unknown capability to drop: \"%s\"",
					       o->cap_drop[i]);
		}
		for (size_t j = 0; j < k; j++) {
			if (strcmp(caps[j], nm) == 0) {
				free(caps[j]);
				memmove(&caps[j], &caps[j + 1], (k - j) * sizeof(char *));
				k--;
				break;
			}
		}
	}
	if (caps == NULL)
		caps = xcalloc(1, sizeof(char *));
	*out = caps;
	*n = k;
	return 0;
}

static void set_caps(struct oci_process *p, char **caps, size_t n)
{
	struct oci_capabilities *c = p->capabilities;
	capsa_strv_free(c->bounding);
	capsa_strv_free(c->effective);
	capsa_strv_free(c->permitted);
	capsa_strv_free(c->inheritable);
	capsa_strv_free(c->ambient);
	*c = (struct oci_capabilities){0};
	c->bounding = capsa_strv_dup(caps, n);
	c->n_bounding = n;
	c->effective = capsa_strv_dup(caps, n);
	c->n_effective = n;
	c->permitted = capsa_strv_dup(caps, n);
	c->n_permitted = n;
}

static struct oci_mount *add_mount(struct oci_config *cfg, const char *dest, const char *type,
				   const char *src)
{
	cfg->mounts = xreallocarray(cfg->mounts, cfg->n_mounts + 1, sizeof(*cfg->mounts));
	struct oci_mount *m = &cfg->mounts[cfg->n_mounts++];
	*m = (struct oci_mount){.destination = xstrdup(dest), .type = xstrdup(type), .source = xstrdup(src)};
	return m;
}

static void mount_opt(struct oci_mount *m, const char *opt)
{
	capsa_strv_push(&m->options, opt);
	m->n_options++;
}

static void drop_mount(struct oci_config *cfg, const char *dest)
{
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		if (strcmp(cfg->mounts[i].destination, dest) != 0)
			continue;
		struct oci_mount *m = &cfg->mounts[i];
		free(m->destination);
		free(m->source);
		free(m->type);
		capsa_strv_free(m->options);
		memmove(m, m + 1, (cfg->n_mounts - i - 1) * sizeof(*m));
		cfg->n_mounts--;
		return;
	}
}

static void remove_opt(struct oci_config *cfg, const char *dest, const char *opt)
{
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		struct oci_mount *m = &cfg->mounts[i];
		if (strcmp(m->destination, dest) != 0)
			continue;
		for (size_t j = 0; j < m->n_options; j++) {
			if (strcmp(m->options[j], opt) == 0) {
				free(m->options[j]);
				memmove(&m->options[j], &m->options[j + 1],
					(m->n_options - j) * sizeof(char *));
				m->n_options--;
				break;
			}
		}
	}
}

static void env_set(struct oci_process *p, const char *key, const char *value, bool replace)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i < p->n_env; i++) {
		if (strncmp(p->env[i], key, kl) == 0 && p->env[i][kl] == '=') {
			if (replace) {
				free(p->env[i]);
				p->env[i] = xasprintf("%s=%s", key, value);
			}
			return;
		}
	}
	_cleanup_free_ char *kv = xasprintf("%s=%s", key, value);
	capsa_strv_push(&p->env, kv);
	p->n_env++;
}

void engine_etc_texts(struct capsa_engine *e, const struct capsa_ctr *c, char **hosts, char **resolv)
{
	*hosts = xasprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
			   "127.0.1.1\t%s\n",
			   c->hostname);
	*resolv = NULL;
	size_t rlen = 0;
	struct capsa_error *e2 = NULL;
	if (strcmp(c->network, "none") == 0 ||
	    capsa_read_file_at(AT_FDCWD, "/etc/resolv.conf", 1 << 16, resolv, &rlen, &e2) < 0) {
		capsa_error_free(e2);
		free(*resolv);
		*resolv = xstrdup("");
	}
	engine_network_etc(e, c, hosts, resolv);
}

/* /etc/hostname, /etc/hosts and /etc/resolv.conf live in the container's directory and are bound in. */
static int etc_files(struct capsa_engine *e, const struct capsa_ctr *c, struct oci_config *cfg,
		     struct capsa_error **err)
{
	_cleanup_close_ int dfd = ctr_dir_open(e, c->id, err);
	if (dfd < 0)
		return -1;
	_cleanup_free_ char *hostname = xasprintf("%s\n", c->hostname);
	_cleanup_free_ char *hosts = NULL, *resolv = NULL;
	engine_etc_texts(e, c, &hosts, &resolv);
	size_t rlen = strlen(resolv);
	struct {
		const char *name, *text;
		size_t len;
	} files[] = {{"hostname", hostname, strlen(hostname)},
		     {"hosts", hosts, strlen(hosts)},
		     {"resolv.conf", resolv, rlen}};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (write_atomic_nosync(dfd, files[i].name, files[i].text, files[i].len, 0644, err) < 0)
			return -1;
		_cleanup_free_ char *src = xasprintf("%s/containers/%s/%s", e->root, c->id, files[i].name);
		_cleanup_free_ char *dst = xasprintf("/etc/%s", files[i].name);
		struct oci_mount *m = add_mount(cfg, dst, "bind", src);
		mount_opt(m, "rbind");
		mount_opt(m, "rprivate");
		if (c->read_only)
			mount_opt(m, "ro");
	}
	return 0;
}

static int volume_path(struct capsa_engine *e, const char *name, char **out, struct capsa_error **err)
{
	_cleanup_free_ char *dir = xasprintf("%s/volumes/%s/_data", e->root, name);
	if (capsa_mkdir_p(dir, 0755, err) < 0)
		return capsa_error_prefix(err, "volume %s", name);
	*out = TAKE_PTR(dir);
	return 0;
}

static int user_mounts(struct capsa_engine *e, struct capsa_ctr *c, const struct capsa_run_opts *o,
		       struct oci_config *cfg, struct capsa_error **err)
{
	c->mounts = xcalloc(o->n_mounts + 1, sizeof(*c->mounts));
	for (size_t i = 0; i < o->n_mounts; i++) {
		const struct capsa_mount_spec *s = &o->mounts[i];
		struct capsa_mount_spec *r = &c->mounts[c->n_mounts++];
		*r = (struct capsa_mount_spec){.kind = s->kind,
					       .destination = xstrdup(s->destination),
					       .readonly = s->readonly,
					       .propagation = s->propagation ? xstrdup(s->propagation) : NULL,
					       .tmpfs_size = s->tmpfs_size,
					       .tmpfs_mode = s->tmpfs_mode,
					       .tmpfs_options =
						       s->tmpfs_options ? xstrdup(s->tmpfs_options) : NULL};
		if (s->kind == CAPSA_MOUNT_TMPFS) {
			struct oci_mount *m = add_mount(cfg, s->destination, "tmpfs", "tmpfs");
			mount_opt(m, "nosuid");
			mount_opt(m, "nodev");
			if (s->tmpfs_options) {
				_cleanup_free_ char *opts = xstrdup(s->tmpfs_options);
				char *save = NULL;
				for (char *t = strtok_r(opts, ",", &save); t; t = strtok_r(NULL, ",", &save))
					mount_opt(m, t);
			} else {
				mount_opt(m, "noexec");
			}
			if (s->tmpfs_size > 0) {
				_cleanup_free_ char *sz =
					xasprintf("size=%lldk", (long long)(s->tmpfs_size + 1023) / 1024);
				mount_opt(m, sz);
			}
			if (s->tmpfs_mode >= 0) {
				_cleanup_free_ char *md =
					xasprintf("mode=%llo", (unsigned long long)s->tmpfs_mode);
				mount_opt(m, md);
			}
			if (s->readonly)
				mount_opt(m, "ro");
			continue;
		}
		_cleanup_free_ char *src = NULL;
		if (s->kind == CAPSA_MOUNT_BIND) {
			struct stat st;
			if (stat(s->source, &st) < 0)
				return capsa_error_errno(
					err, "invalid mount config: bind source path %s does not exist",
					s->source);
			src = xstrdup(s->source);
		} else {
			_cleanup_free_ char *anon = NULL;
			const char *name = s->source;
			if (name == NULL) {
				/* An anonymous volume: named after the container and its position. */
				anon = xasprintf("%.52s%012zx", c->id, i);
				name = anon;
			}
			if (volume_path(e, name, &src, err) < 0)
				return -1;
			r->source = xstrdup(name);
		}
		if (r->source == NULL)
			r->source = xstrdup(src);
		struct oci_mount *m = add_mount(cfg, s->destination, "bind", src);
		mount_opt(m, "rbind");
		mount_opt(m, s->propagation ? s->propagation : "rprivate");
		if (s->readonly)
			mount_opt(m, "ro");
	}
	return 0;
}

/*
 * The image's VOLUMEs that no flag covers become anonymous volumes, filled with what the image has at
 * that path (docker's copy-up). The image side is opened inside the rootfs, never following links out.
 */
static int image_volume_mounts(struct capsa_engine *e, struct capsa_ctr *c, int rootfd, char **vols, size_t n,
			       struct oci_config *cfg, struct capsa_error **err)
{
	for (size_t i = 0; i < n; i++) {
		const char *dst = vols[i];
		bool covered = dst[0] != '/';
		for (size_t j = 0; j < c->n_mounts && !covered; j++)
			covered = strcmp(c->mounts[j].destination, dst) == 0;
		if (covered)
			continue;
		_cleanup_free_ char *name = xasprintf("%.52s%012zx", c->id, 0x800 + i);
		_cleanup_free_ char *src = NULL;
		if (volume_path(e, name, &src, err) < 0)
			return -1;
		_cleanup_free_ char *parent = NULL, *base = NULL;
		capsa_split_path(dst, &parent, &base);
		struct capsa_error *e2 = NULL;
		_cleanup_close_ int pfd =
			capsa_open_in_root(rootfd, parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, &e2);
		_cleanup_close_ int vfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct stat st;
		if (pfd >= 0 && vfd >= 0 && fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sfd =
				openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			_cleanup_closedir_ DIR *d = sfd >= 0 ? fdopendir(TAKE_FD(sfd)) : NULL;
			struct dirent *de;
			while (d && (de = readdir(d)))
				if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
				    engine_copy_tree(dirfd(d), de->d_name, vfd, de->d_name, err) < 0)
					return capsa_error_prefix(err, "volume %s", dst);
		}
		capsa_error_free(e2);
		c->mounts = xreallocarray(c->mounts, c->n_mounts + 1, sizeof(*c->mounts));
		c->mounts[c->n_mounts++] = (struct capsa_mount_spec){.kind = CAPSA_MOUNT_VOLUME,
								     .source = xstrdup(name),
								     .destination = xstrdup(dst),
								     .propagation = xstrdup("rprivate"),
								     .tmpfs_mode = -1};
		struct oci_mount *m = add_mount(cfg, dst, "bind", src);
		mount_opt(m, "rbind");
		mount_opt(m, "rprivate");
	}
	return 0;
}

static int add_device(struct oci_config *cfg, const char *spec, struct capsa_error **err)
{
	_cleanup_free_ char *copy = xstrdup(spec);
	char *host = copy, *ctr = strchr(copy, ':');
	if (ctr) {
		*ctr++ = '\0';
		char *perm = strchr(ctr, ':');
		if (perm)
			*perm = '\0';
	}
	if (ctr == NULL || *ctr == '\0')
		ctr = host;
	struct stat st;
	if (host[0] != '/' || ctr[0] != '/')
		return capsa_error_set(err, EINVAL, "invalid device \"%s\": paths must be absolute", spec);
	if (stat(host, &st) < 0)
		return capsa_error_errno(err, "device %s", host);
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		return capsa_error_set(err, EINVAL, "device %s: not a device node", host);
	struct oci_linux *l = cfg->linux_;
	l->devices = xreallocarray(l->devices, l->n_devices + 1, sizeof(*l->devices));
	struct oci_device *d = &l->devices[l->n_devices++];
	*d = (struct oci_device){.path = xstrdup(ctr),
				 .type = S_ISCHR(st.st_mode) ? 'c' : 'b',
				 .major = major(st.st_rdev),
				 .minor = minor(st.st_rdev),
				 .file_mode = {true, st.st_mode & 07777},
				 .uid = {true, 0},
				 .gid = {true, 0}};
	return 0;
}

static int seccomp_profile(const struct capsa_run_opts *o, char **caps, size_t n_caps,
			   struct oci_seccomp **out, struct capsa_error **err)
{
	*out = NULL;
	if (o->privileged || (o->seccomp && strcmp(o->seccomp, "unconfined") == 0))
		return 0;
	if (o->seccomp) {
		/* A profile file in the runtime spec's linux.seccomp form. */
		_cleanup_free_ char *text = NULL;
		size_t len;
		if (capsa_read_file_at(AT_FDCWD, o->seccomp, 1 << 22, &text, &len, err) < 0)
			return capsa_error_prefix(err, "seccomp profile");
		_cleanup_free_ char *wrapped =
			xasprintf("{\"ociVersion\":\"1.2.0\",\"linux\":{\"seccomp\":%s}}", text);
		_cleanup_oci_config_ struct oci_config *tmp = NULL;
		if (capsa_oci_config_parse(wrapped, strlen(wrapped), o->seccomp, &tmp, err) < 0)
			return capsa_error_prefix(err, "seccomp profile");
		*out = TAKE_PTR(tmp->linux_->seccomp);
		return 0;
	}
	struct oci_seccomp *sc = NULL;
	if (capsa_seccomp_default_profile(&sc, err) < 0)
		return -1;
	if (capsa_seccomp_profile_add_caps(sc, caps, n_caps, err) < 0) {
		capsa_seccomp_profile_free(sc);
		return -1;
	}
	*out = sc;
	return 0;
}

static void set_resources(const struct capsa_run_opts *o, struct oci_config *cfg)
{
	struct oci_resources *r = cfg->linux_->resources;
	if (r == NULL)
		r = cfg->linux_->resources = xzalloc(sizeof(*r));
	if (o->memory > 0 || o->memory_swap_set) {
		r->memory = xzalloc(sizeof(*r->memory));
		if (o->memory > 0)
			r->memory->limit = (struct oci_opt_i64){true, o->memory};
		if (o->memory_swap_set)
			r->memory->swap = (struct oci_opt_i64){true, o->memory_swap};
	}
	if (o->nano_cpus > 0 || o->cpu_shares > 0 || o->cpuset_cpus) {
		r->cpu = xzalloc(sizeof(*r->cpu));
		if (o->nano_cpus > 0) {
			r->cpu->period = (struct oci_opt_u64){true, 100000};
			r->cpu->quota = (struct oci_opt_i64){true, o->nano_cpus / 10000};
		}
		if (o->cpu_shares > 0)
			r->cpu->shares = (struct oci_opt_u64){true, (uint64_t)o->cpu_shares};
		if (o->cpuset_cpus)
			r->cpu->cpus = xstrdup(o->cpuset_cpus);
	}
	if (o->pids_limit != 0)
		r->pids_limit = (struct oci_opt_i64){true, o->pids_limit};
	if (o->privileged) {
		for (size_t i = 0; i < r->n_devices; i++)
			free(r->devices[i].access);
		free(r->devices);
		r->devices = xcalloc(1, sizeof(*r->devices));
		r->devices[0] =
			(struct oci_device_rule){.allow = true, .type = 'a', .access = xstrdup("rwm")};
		r->n_devices = 1;
	}
}

static void drop_namespace(struct oci_linux *l, enum oci_ns_type t)
{
	for (size_t i = 0; i < l->n_namespaces; i++) {
		if (l->namespaces[i].type == t) {
			free(l->namespaces[i].path);
			memmove(&l->namespaces[i], &l->namespaces[i + 1],
				(l->n_namespaces - i - 1) * sizeof(*l->namespaces));
			l->n_namespaces--;
			return;
		}
	}
}

static void take_strv(char ***dst, size_t *dn, char ***src, size_t *sn)
{
	capsa_strv_free(*dst);
	*dst = *src;
	*dn = *sn;
	*src = NULL;
	*sn = 0;
}

/* --init: capsa-init (next to capsa's executable) bind-mounted read-only, running the command as its child.
 */
#define INIT_PATH "/sbin/capsa-init"
static int init_process(struct oci_config *cfg, struct capsa_error **err)
{
	_cleanup_free_ char *src = engine_helper_path("capsa-init");
	if (src == NULL)
		return capsa_error_set(err, ENOENT, "--init: no capsa-init next to the capsa executable");
	drop_mount(cfg, INIT_PATH);
	struct oci_mount *m = add_mount(cfg, INIT_PATH, "bind", src);
	mount_opt(m, "bind");
	mount_opt(m, "ro");
	mount_opt(m, "nosuid");
	mount_opt(m, "nodev");
	struct oci_process *p = cfg->process;
	char **args = xcalloc(p->n_args + 3, sizeof(char *));
	args[0] = xstrdup(INIT_PATH);
	args[1] = xstrdup("--");
	memcpy(args + 2, p->args, p->n_args * sizeof(char *));
	free(p->args);
	p->args = args;
	p->n_args += 2;
	return 0;
}

int spec_generate(struct capsa_engine *e, struct capsa_image_store *s, const struct capsa_image *img,
		  const struct capsa_run_opts *o, struct capsa_ctr *c, struct oci_config **out,
		  struct capsa_error **err)
{
	struct capsa_image_overrides ov = {
		.env = o->env, .n_env = o->n_env, .user = o->user, .workdir = o->workdir};
	char *ep[2] = {(char *)o->entrypoint, NULL};
	if (o->entrypoint) {
		ov.entrypoint = ep;
		ov.n_entrypoint = *o->entrypoint ? 1 : 0;
	}
	if (o->cmd && o->n_cmd) {
		ov.cmd = o->cmd;
		ov.n_cmd = o->n_cmd;
	}
	_cleanup_close_ int rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return capsa_error_errno(err, "open the rootfs %s", c->rootfs);
	struct capsa_image_runtime *rt = NULL;
	if (capsa_image_runtime_config(s, img, rootfd, &ov, &rt, err) < 0)
		return -1;
	_cleanup_oci_config_ struct oci_config *cfg = capsa_oci_config_default(false);
	struct oci_process *p = cfg->process;
	take_strv(&p->args, &p->n_args, &rt->process.args, &rt->process.n_args);
	take_strv(&p->env, &p->n_env, &rt->process.env, &rt->process.n_env);
	free(p->cwd);
	p->cwd = TAKE_PTR(rt->process.cwd);
	if (p->cwd == NULL)
		p->cwd = xstrdup("/");
	free(p->user.additional_gids);
	p->user = rt->process.user;
	rt->process.user = (struct oci_user){0};
	if (c->stop_signal == 0)
		c->stop_signal = rt->stop_signal ? rt->stop_signal : 15;
	_cleanup_strv_ char **image_volumes = capsa_strv_dup(rt->volumes, rt->n_volumes);
	size_t n_image_volumes = rt->n_volumes;
	capsa_image_runtime_free(rt);
	if (p->args == NULL || p->n_args == 0)
		return capsa_error_set(err, EINVAL, "no command specified");

	p->terminal = o->tty;
	env_set(p, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", false);
	env_set(p, "HOSTNAME", c->hostname, false);
	if (o->tty)
		env_set(p, "TERM", "xterm", false);
	else
		for (size_t i = 0; i < p->n_env; i++)
			if (strcmp(p->env[i], "TERM=xterm") == 0 &&
			    !capsa_strv_contains(o->env, "TERM=xterm")) {
				free(p->env[i]);
				memmove(&p->env[i], &p->env[i + 1], (p->n_env - i) * sizeof(char *));
				p->n_env--;
				break;
			}
	p->no_new_privileges = o->no_new_privileges;
	for (size_t i = 0; i < p->n_rlimits; i++)
		free(p->rlimits[i].type);
	free(p->rlimits);
	p->rlimits = NULL;
	p->n_rlimits = 0;
	if (o->n_ulimits) {
		p->rlimits = xcalloc(o->n_ulimits, sizeof(*p->rlimits));
		for (size_t i = 0; i < o->n_ulimits; i++) {
			p->rlimits[i] = o->ulimits[i];
			p->rlimits[i].type = xstrdup(o->ulimits[i].type);
		}
		p->n_rlimits = o->n_ulimits;
	}
	_cleanup_strv_ char **caps = NULL;
	size_t n_caps = 0;
	if (cap_set(o, &caps, &n_caps, err) < 0)
		return -1;
	set_caps(p, caps, n_caps);

	free(cfg->hostname);
	cfg->hostname = xstrdup(c->hostname);
	free(cfg->root->path);
	cfg->root->path = xstrdup(c->rootfs);
	cfg->root->readonly = o->read_only;

	struct oci_linux *l = cfg->linux_;
	if (strcmp(c->network, "host") == 0)
		drop_namespace(l, OCI_NS_NETWORK);
	else if (engine_network_apply(e, c, cfg, err) < 0)
		return -1;
	free(l->cgroups_path);
	l->cgroups_path = c->cgroup_path ? xstrdup(c->cgroup_path) : engine_cgroups_path(o, c->id);
	set_resources(o, cfg);
	if (seccomp_profile(o, caps, n_caps, &l->seccomp, err) < 0)
		return -1;
	if (o->privileged) {
		capsa_strv_free(l->masked_paths);
		l->masked_paths = NULL;
		l->n_masked_paths = 0;
		capsa_strv_free(l->readonly_paths);
		l->readonly_paths = NULL;
		l->n_readonly_paths = 0;
		remove_opt(cfg, "/sys", "ro");
		remove_opt(cfg, "/sys/fs/cgroup", "ro");
	}
	if (o->n_sysctls) {
		l->sysctl = xcalloc(o->n_sysctls, sizeof(*l->sysctl));
		for (size_t i = 0; i < o->n_sysctls; i++)
			l->sysctl[i] =
				(struct oci_kv){xstrdup(o->sysctls[i].key), xstrdup(o->sysctls[i].value)};
		l->n_sysctl = o->n_sysctls;
	}
	for (size_t i = 0; i < o->n_devices; i++)
		if (add_device(cfg, o->devices[i], err) < 0)
			return -1;
	for (size_t i = 0; i < o->n_mounts; i++)
		drop_mount(cfg, o->mounts[i].destination);
	if (etc_files(e, c, cfg, err) < 0 || user_mounts(e, c, o, cfg, err) < 0 ||
	    image_volume_mounts(e, c, rootfd, image_volumes, n_image_volumes, cfg, err) < 0)
		return -1;

	/* What inspect shows as the process. */
	c->args = capsa_strv_dup(p->args, p->n_args);
	c->n_args = p->n_args;
	c->env = capsa_strv_dup(p->env, p->n_env);
	c->n_env = p->n_env;
	c->cwd = xstrdup(p->cwd);
	if (o->init && init_process(cfg, err) < 0)
		return -1;
	*out = TAKE_PTR(cfg);
	return 0;
}
