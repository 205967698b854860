/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Image config to runtime spec: users and groups by name, Entrypoint/Cmd overrides, Env, signals. */
#include "image/image.h"
#include "common/cleanup.h"
#include "tests/unit/tap.h"

#include <signal.h>

static const char *passwd = "root:x:0:0:root:/root:/bin/sh\n"
			    "# a comment\n"
			    "daemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"
			    "app:x:1000:1001:App:/home/app:/bin/sh\n"
			    "broken:x:abc:1::/:/bin/sh\n"
			    "nohome:x:2000:2000";
static const char *group = "root:x:0:\n"
			   "wheel:x:10:app,root\n"
			   "staff:x:50:\n"
			   "app:x:1001:\n"
			   "docker:x:999:daemon,app\n"
			   "bad:x:notanumber:app\n";

static void user_ok(const char *spec, uint32_t uid, uint32_t gid, size_t ngroups, const char *what)
{
	struct oci_user u;
	struct capsa_error *err = NULL;
	int r = capsa_image_resolve_user(spec, passwd, group, &u, &err);
	ok(r == 0 && u.uid == uid && u.gid == gid && u.n_additional_gids == ngroups, "user \"%s\": %s", spec,
	   what);
	if (r == 0 && !(u.uid == uid && u.gid == gid && u.n_additional_gids == ngroups))
		printf("#   got %u:%u +%zu\n", u.uid, u.gid, u.n_additional_gids);
	if (err)
		printf("#   error: %s\n", err->msg);
	capsa_error_free(err);
	free(u.additional_gids);
}

static void user_err(const char *spec, const char *want)
{
	struct oci_user u;
	struct capsa_error *err = NULL;
	int r = capsa_image_resolve_user(spec, passwd, group, &u, &err);
	ok(r == -1 && err && strstr(err->msg, want), "user \"%s\" rejected: %s", spec, want);
	if (err && !strstr(err->msg, want))
		printf("#   got: %s\n", err->msg);
	capsa_error_free(err);
}

static bool has_env(const struct oci_process *p, const char *kv)
{
	for (size_t i = 0; i < p->n_env; i++)
		if (!strcmp(p->env[i], kv))
			return true;
	return false;
}

int main(void)
{
	user_ok(NULL, 0, 0, 1, "default is root, with root's groups");
	user_ok("app", 1000, 1001, 2, "name: uid, primary gid and member groups");
	user_ok("1000", 1000, 1001, 2, "numeric uid found in passwd");
	user_ok("4242", 4242, 0, 0, "numeric uid not in passwd");
	user_ok("app:staff", 1000, 50, 0, "explicit group by name drops supplementary groups");
	user_ok("app:77", 1000, 77, 0, "explicit numeric group");
	user_ok("0:0", 0, 0, 0, "uid:gid");
	user_ok("nohome", 2000, 2000, 0, "short passwd line");
	user_err("nosuch", "unable to find user nosuch: no matching entries in passwd file");
	user_err("app:nogroup", "unable to find group nogroup: no matching entries in group file");
	user_err("broken", "passwd entry for broken has bad ids");
	user_err(":1", "invalid user");
	user_err("app:", "invalid user");
	user_err("4294967295", "unable to find user");
	{
		struct oci_user u;
		ok(capsa_image_resolve_user("app", NULL, NULL, &u, NULL) == -1,
		   "name without a passwd file fails");
		ok(capsa_image_resolve_user("5:6", NULL, NULL, &u, NULL) == 0 && u.uid == 5 && u.gid == 6,
		   "numbers need no passwd file");
	}

	char *ep[] = {"/entry", "--flag", NULL}, *cmd[] = {"run", NULL},
	     *env[] = {"PATH=/bin", "A=1", "B=2", NULL};
	struct capsa_image_config c = {
		.entrypoint = ep,
		.n_entrypoint = 2,
		.cmd = cmd,
		.n_cmd = 1,
		.env = env,
		.n_env = 3,
		.user = "app",
		.working_dir = "/srv",
		.stop_signal = "SIGQUIT",
	};
	struct capsa_image_runtime *r = NULL;
	struct capsa_error *err = NULL;
	if (ok(capsa_image_config_to_runtime(&c, NULL, passwd, group, &r, &err) == 0, "config to runtime")) {
		struct oci_process *p = &r->process;
		ok(p->n_args == 3 && !strcmp(p->args[0], "/entry") && !strcmp(p->args[2], "run") &&
			   p->args[3] == NULL,
		   "args = Entrypoint + Cmd, NULL-terminated");
		is_str(p->cwd, "/srv", "cwd from WorkingDir");
		ok(p->user.uid == 1000 && p->user.gid == 1001 && p->user.n_additional_gids == 2,
		   "user resolved");
		ok(has_env(p, "HOME=/home/app"), "HOME from passwd");
		ok(has_env(p, "PATH=/bin"), "image PATH kept");
		is_int(r->stop_signal, SIGQUIT, "StopSignal");
	}
	capsa_image_runtime_free(r);
	r = NULL;

	char *oep[] = {NULL}, *ocmd[] = {"sh", NULL}, *oenv[] = {"A=9", "B", "NEW=x", NULL};
	struct capsa_image_overrides o = {
		.entrypoint = oep,
		.n_entrypoint = 0,
		.cmd = ocmd,
		.n_cmd = 1,
		.env = oenv,
		.n_env = 3,
		.user = "0",
		.workdir = "rel",
	};
	if (ok(capsa_image_config_to_runtime(&c, &o, passwd, group, &r, &err) == 0, "with overrides")) {
		struct oci_process *p = &r->process;
		ok(p->n_args == 1 && !strcmp(p->args[0], "sh"), "empty entrypoint override clears it");
		ok(has_env(p, "A=9") && !has_env(p, "B=2") && has_env(p, "NEW=x"),
		   "env override, unset, add");
		is_str(p->cwd, "/rel", "relative workdir made absolute");
		ok(p->user.uid == 0 && has_env(p, "HOME=/root"), "user override");
	}
	capsa_image_runtime_free(r);
	r = NULL;

	/* --entrypoint alone drops the image's Cmd, like docker run. */
	char *ep2[] = {"/other", NULL};
	struct capsa_image_overrides o2 = {.entrypoint = ep2, .n_entrypoint = 1};
	if (ok(capsa_image_config_to_runtime(&c, &o2, passwd, group, &r, NULL) == 0, "entrypoint override"))
		ok(r->process.n_args == 1 && !strcmp(r->process.args[0], "/other"), "Cmd dropped");
	capsa_image_runtime_free(r);
	r = NULL;

	struct capsa_image_config empty = {.env = NULL};
	ok(capsa_image_config_to_runtime(&empty, NULL, NULL, NULL, &r, &err) == -1 &&
		   strstr(err->msg, "neither Entrypoint nor Cmd"),
	   "no command is an error");
	capsa_error_clear(&err);
	struct capsa_image_config nouser = {.cmd = cmd, .n_cmd = 1, .user = "ghost"};
	ok(capsa_image_config_to_runtime(&nouser, NULL, passwd, group, &r, &err) == -1 &&
		   strstr(err->msg, "ghost"),
	   "unknown user is an error");
	capsa_error_clear(&err);
	struct capsa_image_config badsig = {.cmd = cmd, .n_cmd = 1, .stop_signal = "SIGWHAT"};
	ok(capsa_image_config_to_runtime(&badsig, NULL, NULL, NULL, &r, &err) == -1 &&
		   strstr(err->msg, "unknown StopSignal SIGWHAT"),
	   "unknown StopSignal is an error");
	capsa_error_clear(&err);
	struct capsa_image_config defaults = {.cmd = cmd, .n_cmd = 1};
	if (ok(capsa_image_config_to_runtime(&defaults, NULL, NULL, NULL, &r, NULL) == 0, "defaults")) {
		is_str(r->process.cwd, "/", "cwd /");
		ok(has_env(&r->process, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
		   "default PATH");
		ok(has_env(&r->process, "HOME=/"), "HOME / without passwd");
		is_int(r->stop_signal, SIGTERM, "SIGTERM default");
	}
	capsa_image_runtime_free(r);
	return tap_done();
}
