/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine/ internals shared by its files. */
#ifndef CAPSA_ENGINE_INTERNAL_H
#define CAPSA_ENGINE_INTERNAL_H

#include "engine/engine.h"
#include "engine/monitor/proto.h"
#include "runtime/runtime.h"

#include <stdint.h>

#define RECORD_FILE "container.json"
#define STATE_FILE "state.json"
#define ATTACH_SOCKET "attach"
#define BUNDLE_DIR "bundle"

struct capsa_engine {
	char *root;
	char *run_root;
	int root_fd;	   /* the store root */
	int containers_fd; /* containers/ */
	struct capsa_runtime rt;
};

/* record.c */
char *ctr_record_json(const struct capsa_ctr *c);
char *ctr_state_json(const struct capsa_ctr *c);
int ctr_record_parse(const char *json, struct capsa_ctr *c, struct capsa_error **err) CAPSA_WUR;
int ctr_state_parse(const char *json, struct capsa_ctr *c, struct capsa_error **err) CAPSA_WUR;
/* Reads containers/<id>/ (record and state), without the liveness check. */
int ctr_read(struct capsa_engine *e, const char *id, struct capsa_ctr **out,
	     struct capsa_error **err) CAPSA_WUR;
/* durable: fsync the file and the directory (the final record); otherwise only an atomic rename. */
int ctr_write_record(struct capsa_engine *e, const struct capsa_ctr *c, bool durable,
		     struct capsa_error **err) CAPSA_WUR;
/* Temp file + rename, no fsync: atomic for readers, for files that can be made again. */
int write_atomic_nosync(int dirfd, const char *name, const char *data, size_t len, mode_t mode,
			struct capsa_error **err) CAPSA_WUR;
int ctr_write_state(int dirfd, const struct capsa_ctr *c, struct capsa_error **err) CAPSA_WUR;
char *ctr_log_name(const char *id);

/* store.c */
/* flock on containers/lock (exclusive); returns the fd. */
int engine_lock(struct capsa_engine *e, struct capsa_error **err) CAPSA_WUR;
/* Whether the monitor recorded in c is alive. */
bool monitor_alive(const struct capsa_ctr *c);
/* Opens containers/<id> (O_DIRECTORY). */
int ctr_dir_open(struct capsa_engine *e, const char *id, struct capsa_error **err) CAPSA_WUR;
/* Unmounts and deletes everything a container has (runtime state, rootfs, its directory). */
int ctr_destroy(struct capsa_engine *e, struct capsa_ctr *c, struct capsa_error **err) CAPSA_WUR;
/* Removes what killed commands left half made: container directories without a record (their ids are
 * appended to *removed) and runtime state of containers whose directory is gone. */
int engine_sweep_half_made(struct capsa_engine *e, char ***removed, size_t *n,
			   struct capsa_error **err) CAPSA_WUR;

/* extra.c: copies a tree without following symlinks on either side. */
int engine_copy_tree(int sfd, const char *sname, int dfd, const char *dname,
		     struct capsa_error **err) CAPSA_WUR;

/* spec.c */
int spec_generate(struct capsa_engine *e, struct capsa_image_store *s, const struct capsa_image *img,
		  const struct capsa_run_opts *o, struct capsa_ctr *c, struct oci_config **out,
		  struct capsa_error **err) CAPSA_WUR;

/* monitor protocol (proto.c); the frame layout is in engine/monitor/proto.h */
int frame_send(int fd, enum frame_type t, const void *data, size_t len);
/* Reads one frame (blocking); buf holds FRAME_MAX bytes. 0 at EOF, 1 with a frame, -1 on error. */
int frame_recv(int fd, struct frame_hdr *h, char *buf);
/* Connects to containers/<id>/attach; -1 with errno when there is no monitor listening. */
int monitor_connect(int ctr_dirfd);

/* The cgroupsPath of container id: --cgroup-parent, else $CAPSA_CGROUP_PARENT, else /capsa; then the id. */
char *engine_cgroups_path(const struct capsa_run_opts *o, const char *id);
/* monitor spawn (spawn.c): forks the monitor for c; returns once it created the container. */
int monitor_spawn(struct capsa_engine *e, struct capsa_ctr *c, bool start_follows, int *exit_code,
		  struct capsa_error **err) CAPSA_WUR;

/* monitor.c: the path of a program installed next to capsa's executable (build/ or PREFIX/bin), NULL
 * when there is none. */
char *engine_helper_path(const char *name);
/* In the forked monitor of an unsealed capsa: executes a sealed copy of capsa-monitor-full (or capsa) to
 * be the monitor. Never returns: on failure it says why on sync_fd and exits. */
void monitor_exec_create(struct capsa_engine *e, const char *id, int sync_fd) __attribute__((noreturn));
/* The creator's go, as the byte the monitor waits for first: a start follows at once, or not. */
#define MONITOR_GO_CREATE 'g'
#define MONITOR_GO_START 's'
/* The monitor's first step: the creator's go (MONITOR_GO_*), or -1 when it gave up (closed the socket). */
int monitor_wait_go(int sync_fd);

/* network.c: the container's network, made before the config (its record says what to release). */
struct json_object;
int engine_network_setup(struct capsa_engine *e, struct capsa_image_store *s, const struct capsa_image *img,
			 const struct capsa_run_opts *o, struct capsa_ctr *c,
			 struct capsa_error **err) CAPSA_WUR;
/* Releases whatever the record lists (veth, netns mount, nft rules, address, ports); never fails. */
void engine_network_teardown(struct capsa_engine *e, const struct capsa_ctr *c);
/* The container stopped: its published ports' rules and reservations go (its address, veth or tap stay);
 * engine_network_ensure takes them again at the next start. Never fails. */
void engine_network_release_ports(struct capsa_engine *e, const struct capsa_ctr *c);
/* A micro-VM joins its network as a container does (address, published ports, record), with the persistent
 * tap named tap on the bridge instead of a namespace and veth. 1 with eth0's address, 0 for --network
 * none. */
int engine_network_vm_attach(struct capsa_engine *e, struct capsa_image_store *s,
			     const struct capsa_image *img, const struct capsa_run_opts *o,
			     struct capsa_ctr *c, const char *tap, uint32_t *addr, uint32_t *gw, int *prefix,
			     struct capsa_error **err) CAPSA_WUR;
/* SIGKILLs the processes (not this one, not pid 1) with an argument equal to a1 or a2 (a2 may be NULL):
 * with prog set, only those whose program's name starts with it, matching the arguments after it; with
 * prog NULL, any argument. Returns how many were signalled. */
size_t engine_kill_by_cmdline(const char *prog, const char *a1, const char *a2);
/* Makes again what a reboot removed (namespace and veth, or a micro-VM's tap; bridge, nft rules) from the
 * record and, with ports (at a start), takes the host ports the container publishes when it holds none:
 * a `create` takes none, a stop releases them (docker's "port is already allocated" when one is taken,
 * nothing held then); 0 when nothing was missing. */
int engine_network_ensure(struct capsa_engine *e, const struct capsa_ctr *c, bool ports,
			  struct capsa_error **err);
/* The config joins the namespace made by setup; /etc/hosts and resolv.conf for it. */
int engine_network_apply(struct capsa_engine *e, const struct capsa_ctr *c, struct oci_config *cfg,
			 struct capsa_error **err) CAPSA_WUR;
void engine_network_etc(struct capsa_engine *e, const struct capsa_ctr *c, char **hosts, char **resolv);
/* spec.c: the text of a container's /etc/hosts and /etc/resolv.conf (a micro-VM's too); caller frees. */
void engine_etc_texts(struct capsa_engine *e, const struct capsa_ctr *c, char **hosts, char **resolv);
/* inspect's NetworkSettings. */
struct json_object *engine_network_settings(struct capsa_engine *e, const struct capsa_ctr *c);
/* inspect's HostConfig.PortBindings: the ports run asked for, shown while the container is stopped too. */
struct json_object *engine_network_port_bindings(struct capsa_engine *e, const struct capsa_ctr *c);

/* vm.c: a micro-VM container (`run --vm`). The one place a VM run's options are checked and its network
 * decided (*network: in, the one asked for or the default; out, the VM's): refuses what a VM cannot do
 * yet with the flag and the reason. VM networking plugs in here and in engine_vm_spawn. */
int engine_vm_check(const struct capsa_run_opts *o, const char **network, struct capsa_error **err) CAPSA_WUR;
/* vm_net.c: a micro-VM on its network: address, published ports, record and persistent tap capsa-t<id>;
 * eth0's address, the hostname, /etc/hosts and /etc/resolv.conf (as a container's) added to the encoded
 * config block (CAPSA_VMCFG_SIZE bytes). */
int engine_vm_net_setup(struct capsa_engine *e, struct capsa_image_store *s, const struct capsa_image *img,
			const struct capsa_run_opts *o, struct capsa_ctr *c, char *block,
			struct capsa_error **err) CAPSA_WUR;
/* linux.uml's "eth0=tuntap,TAP" when the VM's tap exists, else NULL (caller frees). */
char *engine_vm_net_uml_arg(const char *id);
/* Instead of the rootfs and bundle: the config disk (containers/<id>/vm.config), the image's cached ext4,
 * the record's process and its "vm" backend. */
int engine_vm_prepare(struct capsa_engine *e, struct capsa_image_store *s, const struct capsa_image *img,
		      const struct capsa_run_opts *o, struct capsa_ctr *c,
		      struct capsa_error **err) CAPSA_WUR;
/* A micro-VM's stdio as its monitor holds it, as a container's: out and err pipes (with -t: out is the pty
 * master, err -1), in for -i (a pipe, or the master), master (-1 without -t). */
struct engine_vm_stdio {
	int out, err, in, master;
};
/* In the monitor: forks the VM's host process (the container's process: it exits with the guest's status)
 * with its stdio made as c->tty and c->open_stdin ask (the monitor's ends in *io); it boots the VM once a
 * byte is written to *start_fd. ports: take the host ports now, as spawn_container does. */
int engine_vm_spawn(struct capsa_engine *e, struct capsa_ctr *c, bool ports, struct engine_vm_stdio *io,
		    pid_t *pid, int *start_fd, struct capsa_error **err) CAPSA_WUR;
/* Kills what is left of the VM (even with its monitor gone, or its record unreadable), takes the host
 * process's note of a guest that died without a status into c->error, removes the scratch dir. Never
 * fails; only a stat for a container that is no VM. */
void engine_vm_cleanup(struct capsa_engine *e, struct capsa_ctr *c);
/* A VM's scratch dir (run/vm-<id12>: config disk copy, COW file, UML's dir and memory file). */
char *engine_vm_scratch(struct capsa_engine *e, const char *id);
/* The VM's cgroup (its host processes; made at each start, removed by engine_vm_cleanup). */
struct capsa_cgroup;
int engine_vm_cgroup_open(struct capsa_engine *e, const struct capsa_ctr *c, struct capsa_cgroup **out,
			  struct capsa_error **err) CAPSA_WUR;
/* The VM's exit code from the config disk read back (len bytes, NULL when unreadable): the guest's status,
 * else 137 when the VM was killed (killed, or linux.uml's wait status says SIGKILL), else -1 (the guest
 * stopped without a status: a panic). */
int engine_vm_exit_code(const char *disk, size_t len, int wait_status, bool killed);
/* UML's management-console datagram for cmd into buf; its length, or -1 when cmd does not fit. */
ssize_t engine_vm_mconsole_request(const char *cmd, void *buf, size_t cap);

/* Classifies a runtime error text as docker does: 127 not found, 126 cannot invoke, 125 otherwise. */
int exec_error_code(const struct capsa_error *e);

#endif
