/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Declarations shared between the files of runtime/ only. */
#ifndef CAPSA_RUNTIME_INTERNAL_H
#define CAPSA_RUNTIME_INTERNAL_H

#include "runtime/runtime.h"
#include "cgroups/cgroups.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "common/path.h"

#include <signal.h>
#include <stdint.h>

/* ---- sync.c: parent <-> container init messages over a SOCK_SEQPACKET pair ---- */
enum sync_type {
	SYNC_USERMAP_REQ = 1, /* child: my user namespace exists, write the maps */
	SYNC_USERMAP_ACK,     /* parent: maps written */
	SYNC_INIT_PID,	      /* intermediate child: the init's pid (two-step clone) */
	SYNC_GO,	      /* parent: continue (the rootfs may be set up while the cgroup is joined) */
	SYNC_HOOKS_REQ,	      /* child: mounts ready, run prestart/createRuntime hooks */
	SYNC_HOOKS_ACK,
	SYNC_READY,  /* child: waiting for start */
	SYNC_ERROR,  /* child: failed; errnum + msg */
	SYNC_CGROUP, /* parent: the init is in its cgroup, under its limits */
};

struct sync_msg {
	int32_t type;
	int32_t errnum;
	int32_t pid;
	char msg[4000];
};

int sync_send(int fd, enum sync_type type, int32_t pid, struct capsa_error **err) CAPSA_WUR;
/* Receives the next message; a SYNC_ERROR becomes *err with the child's message. */
int sync_recv(int fd, enum sync_type want, int32_t *pid, struct capsa_error **err) CAPSA_WUR;
/* Turns a received SYNC_ERROR into *err (-1); 0 for other messages. */
int sync_recv_decode(struct sync_msg *m, size_t len, struct capsa_error **err) CAPSA_WUR;
/* Sends an error to the peer (best effort). */
void sync_send_error(int fd, const struct capsa_error *e);

/* ---- state.c: the state directory ---- */
struct container_dir {
	int root_fd; /* state root */
	int dir_fd;  /* <root>/<id>, flock'ed */
	char *id;
};
/* Creates <root>/<id> exclusively and locks it. */
int state_dir_create(const struct capsa_runtime *rt, const char *id, struct container_dir *d,
		     struct capsa_error **err) CAPSA_WUR;
/* Opens and locks an existing container dir. */
int state_dir_open(const struct capsa_runtime *rt, const char *id, struct container_dir *d,
		   struct capsa_error **err) CAPSA_WUR;
void state_dir_close(struct container_dir *d);
/* Removes the container dir (while locked). */
int state_dir_remove(struct container_dir *d, struct capsa_error **err) CAPSA_WUR;
int state_write(struct container_dir *d, const struct oci_state *s, struct capsa_error **err) CAPSA_WUR;
int state_read(struct container_dir *d, struct oci_state **out, struct capsa_error **err) CAPSA_WUR;
/* Fills s->status from the live process, the start socket and the freezer. */
void state_refresh_status(struct container_dir *d, struct oci_state *s);
/* Alive and the same process (start time matches), not a zombie. */
bool process_alive(pid_t pid, uint64_t start_time);
#define START_SOCKET "start.sock"
#define CONFIG_COPY "config.json"

/* ---- target.c; the path helpers are common/path.h ---- */
/* Creates a mount target (directory or empty file) inside root; returns an O_PATH fd checked with fstat. */
int mount_target_in_root(int root_fd, const char *path, bool dir, struct capsa_error **err);

/* ---- mount.c ---- */
struct mount_opts {
	unsigned long flags;	   /* MS_* to set */
	unsigned long clear;	   /* MS_* explicitly cleared (rw, suid, ...) */
	unsigned long propagation; /* MS_PRIVATE/MS_SHARED/... | MS_REC */
	bool bind, rbind;
	char *data; /* the rest, comma separated */
};
int mount_opts_parse(char *const *options, size_t n, struct mount_opts *out,
		     struct capsa_error **err) CAPSA_WUR;
void mount_opts_free(struct mount_opts *o);
unsigned long propagation_parse(const char *s); /* 0 when unknown */

struct rootfs_ctx {
	const struct oci_config *config;
	const char *rootfs; /* absolute host path */
	int rootfs_fd;	    /* O_PATH|O_DIRECTORY of the bind-mounted rootfs */
	bool userns;
	bool no_pivot;
	struct capsa_cgroup *cgroup;
};
/* Everything up to (not including) pivot_root, in the container's mount namespace. */
int rootfs_prepare(struct rootfs_ctx *r, struct capsa_error **err) CAPSA_WUR;
/* masked and read-only paths, sysctl: still before pivot_root, relative to the rootfs fd. */
int rootfs_finalize_paths(struct rootfs_ctx *r, struct capsa_error **err) CAPSA_WUR;
int rootfs_pivot(struct rootfs_ctx *r, struct capsa_error **err) CAPSA_WUR;
/* After pivot_root: read-only root. */
int rootfs_readonly(struct rootfs_ctx *r, struct capsa_error **err) CAPSA_WUR;
/* Validates sysctl keys against the namespaces the container has. */
int sysctl_validate(const struct oci_config *c, struct capsa_error **err) CAPSA_WUR;

/* ---- caps.c ---- */
int caps_validate(const struct oci_capabilities *c, struct capsa_error **err) CAPSA_WUR;
/* Drops the bounding set (before the uid change). */
int caps_apply_bounding(const struct oci_capabilities *c, struct capsa_error **err) CAPSA_WUR;
/* Sets effective/permitted/inheritable, then ambient (after the uid change). */
int caps_apply(const struct oci_capabilities *c, struct capsa_error **err) CAPSA_WUR;

/* ---- process.c: the last steps before exec ---- */
int process_set_user(const struct oci_process *p, bool userns, struct capsa_error **err) CAPSA_WUR;
int process_set_rlimits(const struct oci_process *p, struct capsa_error **err) CAPSA_WUR;
int process_set_oom_score_adj(const struct oci_process *p, struct capsa_error **err) CAPSA_WUR;
int process_set_personality(const struct oci_linux *l, struct capsa_error **err) CAPSA_WUR;
int process_set_io_priority(const struct oci_process *p, struct capsa_error **err) CAPSA_WUR;
int process_set_scheduler(const struct oci_process *p, struct capsa_error **err) CAPSA_WUR;
/* Finds the executable like execvp would, with the PATH from the process env. Caller frees. */
int process_find_executable(const struct oci_process *p, char **out, struct capsa_error **err) CAPSA_WUR;
/* Default dispositions and an empty mask, as a new process should start. */
void process_reset_signals(void);

/* ---- hooks.c ---- */
/* Runs hooks in order with the state JSON on stdin; fails on the first failing hook. */
int hooks_run(const struct oci_hook *hooks, size_t n, const char *kind, const char *state_json,
	      struct capsa_error **err) CAPSA_WUR;

/* ---- console.c ---- */
/* Opens a new pty in the container (/dev/ptmx), makes it the controlling terminal and stdio,
 * and sends the master over the console socket fd. */
int console_setup(int console_sock, const struct oci_process *p, struct capsa_error **err) CAPSA_WUR;
int console_socket_connect(const char *path, struct capsa_error **err) CAPSA_WUR;
int send_fd(int sock, int fd, const char *name, struct capsa_error **err) CAPSA_WUR;
int recv_fd(int sock, int *fd, struct capsa_error **err) CAPSA_WUR;

/* ---- namespaces.c ---- */
int ns_clone_flag(enum oci_ns_type t);
const struct oci_namespace *ns_find(const struct oci_config *c, enum oci_ns_type t);
int write_id_maps(pid_t pid, const struct oci_linux *l, struct capsa_error **err) CAPSA_WUR;
int write_time_offsets(const struct oci_linux *l, struct capsa_error **err) CAPSA_WUR;
/* setns into every namespace of the config that has a path (user first). */
int ns_join_paths(const struct oci_config *c, int *joined_flags, struct capsa_error **err) CAPSA_WUR;

/* ---- run.c: staying with a process in the foreground ---- */
/* The signals a foreground runtime forwards (plus SIGCHLD); block them before forking. */
void foreground_signals(sigset_t *mask);
/* Waits for pid (our child), forwarding signals and proxying the pty master if >= 0. */
int foreground_wait(pid_t pid, int master, const sigset_t *mask, int *exit_code);

/* ---- lifecycle.c ---- */
struct opened {
	struct container_dir dir;
	struct oci_state *state;
};
/* Opens and locks a container and reads its state with the live status. */
int open_container(const struct capsa_runtime *rt, const char *id, struct opened *o,
		   struct capsa_error **err) CAPSA_WUR;
void opened_free(struct opened *o);
/* The config saved at create (NULL, with a warning logged, when unreadable). */
struct oci_config *saved_config(struct container_dir *d);
/* The container's cgroup from its state, or NULL. */
struct capsa_cgroup *open_cgroup(const struct oci_state *s);

/* ---- container.c ---- */
char *state_json_for_hooks(const struct oci_state *s);

#endif

/* ---- create.c / init.c ---- */
struct create_ctx {
	const struct capsa_runtime *rt;
	const struct capsa_create_opts *opts;
	struct oci_config *config;
	char *bundle; /* absolute */
	char *rootfs; /* absolute */
	struct container_dir dir;
	struct oci_state *state;
	struct capsa_cgroup *cgroup;
	int sync_parent, sync_child;
	int console_fd;	     /* connected console socket, or -1 */
	bool proxy_terminal; /* run in the foreground: a terminal comes to us over console_peer */
	int console_peer;
	int start_listen_fd;	       /* the start socket, listening; the init accepts on it */
	struct capsa_seccomp *seccomp; /* compiled before clone: a bad profile fails before any process */
	int seccomp_listener;	       /* connected to linux.seccomp.listenerPath, or -1 */
	bool userns_new;
	bool two_step;	 /* clone plain, then setns/unshare and fork the init */
	int clone_flags; /* namespaces made by clone (one-step) or unshare (two-step) */
	bool subreaper;	 /* run in the foreground: we reap the init */
	pid_t child_pid; /* what we cloned */
	pid_t init_pid;
	bool born_in_cgroup; /* cloned into its v2 cgroup: set in the parent and in the child */
	bool cgroup_joined;  /* init: SYNC_CGROUP received, the cgroup joined, the cgroup namespace made */
};
/* clone(flags) with fork semantics, into the v2 cgroup cgroup_fd when >= 0 and the kernel can (then
 * *born_in_cgroup, in both processes); else a plain clone. The child joins the rest of its cgroup
 * itself (capsa_cgroup_enter_self). */
pid_t runtime_clone_into(unsigned long flags, int cgroup_fd, bool *born_in_cgroup);
/* Runs in the cloned child; never returns. */
void container_init(struct create_ctx *c) __attribute__((noreturn));
int container_create(struct create_ctx *c, struct capsa_error **err) CAPSA_WUR;
void create_ctx_init(struct create_ctx *c, const struct capsa_runtime *rt, const struct capsa_create_opts *o);
void create_ctx_free(struct create_ctx *c);
/* Kill what a failed or forced operation left and remove the cgroup and state dir. */
void container_destroy(struct container_dir *d, struct oci_state *s, struct capsa_cgroup *cg);
