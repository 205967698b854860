/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runtime/: the container lifecycle (create, start, state, kill, delete, run),
 * namespaces, the root filesystem, capabilities, console, hooks. This is the
 * folder's one public header; cmd/ calls these and prints their errors.
 */
#ifndef CAPSA_RUNTIME_H
#define CAPSA_RUNTIME_H

#include "common/error.h"
#include "common/signal.h"
#include "oci-spec/oci-spec.h"

#include <stdbool.h>
#include <sys/types.h>

#define CAPSA_RUNTIME_DEFAULT_ROOT "/run/capsa-runtime"

struct capsa_runtime {
	const char *root; /* state root, e.g. /run/capsa-runtime */
	bool systemd_cgroup;
};

struct capsa_create_opts {
	const char *id;
	const char *bundle; /* NULL: the current directory */
	const char *console_socket;
	/* In-process callers (the capsa CLI's monitor) may pass a connected socket instead of a path:
	 * the pty master is sent over it. Set has_console_fd; the fd stays the caller's. */
	bool has_console_fd;
	int console_fd;
	const char *pid_file;
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds;
};

/* Validates a container id: [A-Za-z0-9_.+-]+, not "." or "..". */
int capsa_container_id_validate(const char *id, struct capsa_error **err) CAPSA_WUR;

/* Creates the container; the user process waits for start. *pid gets the init's pid. */
int capsa_container_create(const struct capsa_runtime *rt, const struct capsa_create_opts *o, pid_t *pid,
			   struct capsa_error **err) CAPSA_WUR;
int capsa_container_start(const struct capsa_runtime *rt, const char *id, struct capsa_error **err) CAPSA_WUR;
/*
 * create + start, then (unless detach) waits for the process, forwarding
 * signals, deletes the container and returns its status in *exit_code
 * (128+N after signal N).
 */
int capsa_container_run(const struct capsa_runtime *rt, const struct capsa_create_opts *o, bool detach,
			int *exit_code, struct capsa_error **err) CAPSA_WUR;
/* The state with the live status. */
int capsa_container_state(const struct capsa_runtime *rt, const char *id, struct oci_state **out,
			  struct capsa_error **err) CAPSA_WUR;
int capsa_container_kill(const struct capsa_runtime *rt, const char *id, int sig, bool all,
			 struct capsa_error **err) CAPSA_WUR;
int capsa_container_delete(const struct capsa_runtime *rt, const char *id, bool force,
			   struct capsa_error **err) CAPSA_WUR;
/* All containers under the root, with live statuses (sorted by id). */
int capsa_container_list(const struct capsa_runtime *rt, struct oci_state ***out, size_t *n,
			 struct capsa_error **err) CAPSA_WUR;
struct capsa_exec_opts {
	const char *id;
	const char *process_file; /* --process: the whole process object; the overrides below are ignored */
	char **args;		  /* the command (when there is no process file) */
	size_t n_args;
	char **env; /* K=V, added to (and overriding) the container's */
	size_t n_env;
	int tty;	  /* -1: as the container's process, 0/1: --tty */
	const char *user; /* "UID[:GID]" */
	uint32_t *additional_gids;
	size_t n_additional_gids;
	const char *cwd;
	char **caps; /* added to every capability set */
	size_t n_caps;
	bool no_new_privs;
	const char *apparmor;
	const char *process_label;
	const char *console_socket;
	bool has_console_fd;
	int console_fd;
	const char *pid_file;
	bool detach;
	bool ignore_paused;
	int preserve_fds;
};
/*
 * Runs a new process in a running container: its namespaces (joined through
 * a pidfd), its cgroup, capabilities, seccomp filter and limits, as the
 * container's process has them unless overridden. In the foreground, waits
 * and returns the process's status in *exit_code.
 */
int capsa_container_exec(const struct capsa_runtime *rt, const struct capsa_exec_opts *o, int *exit_code,
			 struct capsa_error **err) CAPSA_WUR;

/* The pids of every process in the container's cgroup. */
int capsa_container_pids(const struct capsa_runtime *rt, const char *id, pid_t **pids, size_t *n,
			 struct capsa_error **err) CAPSA_WUR;
/* Applies the set fields of res to the running container's cgroup. */
int capsa_container_update(const struct capsa_runtime *rt, const char *id, const struct oci_resources *res,
			   struct capsa_error **err) CAPSA_WUR;

struct capsa_cgroup_stats;
enum capsa_event_type { CAPSA_EVENT_STATS, CAPSA_EVENT_OOM };
struct capsa_event {
	enum capsa_event_type type;
	const char *id;
	const struct capsa_cgroup_stats *stats; /* CAPSA_EVENT_STATS */
};
/*
 * Calls cb with a stats event every interval_ms and an OOM event whenever the
 * kernel OOM-kills in the container, until the container stops (or once, with
 * a single stats event, when once is set). A non-zero return from cb stops it.
 */
int capsa_container_events(const struct capsa_runtime *rt, const char *id, int interval_ms, bool once,
			   int (*cb)(const struct capsa_event *ev, void *data), void *data,
			   struct capsa_error **err) CAPSA_WUR;

int capsa_container_pause(const struct capsa_runtime *rt, const char *id, bool pause,
			  struct capsa_error **err) CAPSA_WUR;

/* Capabilities by name, from libcap (so a new kernel capability needs no table here). */
bool capsa_cap_known(const char *name); /* "CAP_CHOWN"; the CAP_ prefix is required */
int capsa_cap_count(void);		/* the number libcap knows; values are 0 .. count-1 */
const char *capsa_cap_name(int value);	/* "CAP_CHOWN"; NULL when out of range */

/*
 * Re-executes the running binary from a sealed memfd copy unless it already
 * runs from one, so a process in a container can never write the host
 * binary through /proc/PID/exe (the CVE-2019-5736 class). Returns only on error.
 */
int capsa_ensure_sealed_exe(char **argv, struct capsa_error **err) CAPSA_WUR;
bool capsa_exe_is_sealed(void);
/* A sealed (read-only for ever) memfd copy of the executable open at src, name for /proc; the fd. */
int capsa_sealed_copy(int src, const char *name, struct capsa_error **err) CAPSA_WUR;
/* How much of an ELF64 file of file_size bytes must be copied to run it (headers and every segment's
 * bytes; head holds its first head_len bytes); file_size when head is not an ELF64 it understands. */
uint64_t capsa_elf_exec_size(const void *head, size_t head_len, uint64_t file_size);

#endif
