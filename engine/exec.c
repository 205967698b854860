/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `exec`: a new process in a running container, through the runtime, with docker's defaults. */
#define _GNU_SOURCE
#include "engine/internal.h"
#include "cgroups/cgroups.h"
#include "common/cleanup.h"
#include "common/path.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

/* "name[:group]" through the container's own /etc/passwd and /etc/group (opened inside its root). */
static int resolve_user(const struct capsa_ctr *c, const char *spec, char **out, struct capsa_error **err)
{
	bool numeric = true;
	for (const char *p = spec; *p; p++)
		if (!isdigit((unsigned char)*p) && *p != ':')
			numeric = false;
	if (numeric) {
		*out = xstrdup(spec);
		return 0;
	}
	_cleanup_close_ int root = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return capsa_error_errno(err, "open the rootfs");
	_cleanup_free_ char *passwd = NULL, *group = NULL;
	const char *files[] = {"/etc/passwd", "/etc/group"};
	char **texts[] = {&passwd, &group};
	for (size_t i = 0; i < 2; i++) {
		struct capsa_error *e2 = NULL;
		_cleanup_close_ int fd = capsa_open_in_root(root, files[i], O_RDONLY | O_CLOEXEC, 0, &e2);
		size_t len;
		if (fd < 0 || capsa_read_fd(fd, 1 << 22, texts[i], &len, &e2) < 0)
			capsa_error_free(e2);
	}
	struct oci_user u = {0};
	if (capsa_image_resolve_user(spec, passwd, group, &u, err) < 0)
		return -1;
	free(u.additional_gids);
	*out = xasprintf("%u:%u", u.uid, u.gid);
	return 0;
}

int capsa_engine_exec(struct capsa_engine *e, struct capsa_ctr *c, const struct capsa_exec_request *r,
		      int *exit_code, struct capsa_error **err)
{
	*exit_code = 126;
	if (c->vm)
		return capsa_error_set(
			err, 0, "container %.12s is a micro-VM: exec into it is not supported yet", c->id);
	if (c->status == CAPSA_CTR_PAUSED)
		return capsa_error_set(err, 0, "container %.12s is paused, unpause the container before exec",
				       c->id);
	if (c->status != CAPSA_CTR_RUNNING)
		return capsa_error_set(err, 0, "container %.12s is not running", c->id);
	_cleanup_free_ char *user = NULL;
	if (r->user && resolve_user(c, r->user, &user, err) < 0)
		return -1;
	struct capsa_exec_opts o = {.id = c->id,
				    .args = r->args,
				    .n_args = r->n_args,
				    .env = r->env,
				    .n_env = r->n_env,
				    .tty = r->tty ? 1 : 0,
				    .user = user,
				    .cwd = r->workdir,
				    .detach = r->detach};
	static char *const all[] = {
		"CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_SYS_PTRACE",	 "CAP_SYS_MODULE",
		"CAP_SYS_RAWIO", "CAP_SYS_TIME",  "CAP_DAC_READ_SEARCH", "CAP_LINUX_IMMUTABLE",
		"CAP_IPC_LOCK",	 "CAP_SYS_NICE",  "CAP_SYSLOG",		 "CAP_MAC_ADMIN",
		"CAP_BPF",	 "CAP_PERFMON"};
	if (r->privileged) {
		o.caps = (char **)all;
		o.n_caps = ARRAY_SIZE(all);
	}
	int code = 0;
	if (capsa_container_exec(&e->rt, &o, &code, err) < 0) {
		*exit_code = exec_error_code(*err);
		if (*exit_code == 125)
			*exit_code = 126;
		return -1;
	}
	*exit_code = code;
	return 0;
}
