/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * seccomp for the container process (runtime/ internal). The filter is built
 * and validated at create time (capsa_seccomp_prepare, which also compiles it
 * to BPF) and installed by the container init as late as possible, just
 * before exec (capsa_seccomp_load: one seccomp(2) call, no allocation), so the
 * runtime's own setup is never filtered.
 */
#ifndef CAPSA_RUNTIME_SECCOMP_H
#define CAPSA_RUNTIME_SECCOMP_H

#include "common/error.h"
#include "oci-spec/oci-spec.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct capsa_seccomp;

/*
 * Translates linux.seccomp into a compiled filter without loading it. Every
 * action, op, architecture and flag is validated; an error names the field
 * ("seccomp: syscalls[2]: unknown action \"SCMP_ACT_FOO\""). Syscall names
 * that libseccomp does not know are skipped with a debug log, as runc does.
 * Rules whose action equals the default action are dropped (they are no-ops).
 */
int capsa_seccomp_prepare(const struct oci_seccomp *s, struct capsa_seccomp **out,
			  struct capsa_error **err) CAPSA_WUR;

/*
 * Installs the filter in the calling thread (all threads with
 * SECCOMP_FILTER_FLAG_TSYNC). Needs no_new_privs or CAP_SYS_ADMIN. When the
 * filter has SCMP_ACT_NOTIFY rules, *notify_fd gets the listener fd (O_CLOEXEC),
 * else -1. notify_fd may be NULL when the caller knows there are none.
 */
int capsa_seccomp_load(struct capsa_seccomp *f, int *notify_fd, struct capsa_error **err) CAPSA_WUR;

/* Whether the filter has SCMP_ACT_NOTIFY rules (the runtime must then send the fd to listenerPath). */
bool capsa_seccomp_has_notify(const struct capsa_seccomp *f);
/* The seccomp(2) flags the filter will be loaded with (for tests and debug logs). */
unsigned int capsa_seccomp_flags(const struct capsa_seccomp *f);
/* Number of BPF instructions of the compiled filter. */
size_t capsa_seccomp_bpf_len(const struct capsa_seccomp *f);

/*
 * Sends the notify fd and the runtime-spec "container process state"
 * ({"ociVersion","fds":["seccompFd"],"pid","metadata","state"}) to the seccomp
 * agent listening on the AF_UNIX SOCK_STREAM socket at listener_path: one
 * connection, the fd in SCM_RIGHTS with the first bytes, then closed.
 * state_json is the container state (runtime-spec "state") as serialised by
 * capsa_oci_state_to_json(.., false); the pid is taken from it. metadata
 * (linux.seccomp.listenerMetadata) may be NULL.
 */
int capsa_seccomp_send_notify_fd(const char *listener_path, int notify_fd, const char *state_json,
				 const char *metadata, struct capsa_error **err) CAPSA_WUR;
/* Same with an explicit pid (exec: the pid of the exec'd process, not the init's). */
int capsa_seccomp_send_notify_fd_pid(const char *listener_path, int notify_fd, pid_t pid,
				     const char *state_json, const char *metadata,
				     struct capsa_error **err) CAPSA_WUR;

/*
 * The same in two steps, for an init that must connect while the host's
 * filesystem is still visible (before pivot_root) and send after loading the
 * filter: connect returns the socket (O_CLOEXEC); send_notify_fd_sock writes
 * the state and the fd on it; the caller closes it.
 */
int capsa_seccomp_listener_connect(const char *listener_path, struct capsa_error **err) CAPSA_WUR;
int capsa_seccomp_send_notify_fd_sock(int sock, int notify_fd, pid_t pid, const char *state_json,
				      const char *metadata, struct capsa_error **err) CAPSA_WUR;

/*
 * Saves the compiled filter under dirfd (the container's state directory), and
 * reads it back, so `exec` loads exactly the filter `create` built without
 * compiling it again. The file is validated (magic, version, size, checksum).
 */
int capsa_seccomp_save(const struct capsa_seccomp *f, int dirfd, const char *name,
		       struct capsa_error **err) CAPSA_WUR;
int capsa_seccomp_restore(int dirfd, const char *name, struct capsa_seccomp **out,
			  struct capsa_error **err) CAPSA_WUR;

void capsa_seccomp_free(struct capsa_seccomp *f);
static inline void capsa_seccomp_freep(struct capsa_seccomp **f)
{
	capsa_seccomp_free(*f);
}
#define _cleanup_seccomp_ __attribute__((cleanup(capsa_seccomp_freep)))

/*
 * capsa's default profile (runtime/seccomp-default.json, embedded in the
 * binary), parsed with the oci-spec parser. The caller frees it with
 * capsa_seccomp_profile_free. See runtime/seccomp-default.md for its choices.
 */
int capsa_seccomp_default_profile(struct oci_seccomp **out, struct capsa_error **err) CAPSA_WUR;
/* The embedded JSON text of the default profile. */
const char *capsa_seccomp_default_profile_json(void);
/*
 * Gives back to a profile (the default one) the syscalls it refuses only for
 * lack of a capability, for each capability granted ("CAP_SYS_ADMIN":
 * mount, umount2, pivot_root, setns, unshare and clone with namespace flags,
 * ...). An unknown capability name is an error and leaves the profile as it was.
 */
int capsa_seccomp_profile_add_caps(struct oci_seccomp *s, char *const *caps, size_t n_caps,
				   struct capsa_error **err) CAPSA_WUR;
/* Frees an oci_seccomp returned by capsa_seccomp_default_profile. */
void capsa_seccomp_profile_free(struct oci_seccomp *s);

/* The same format in memory (for the compiled-filter cache): encode returns a new buffer; decode validates
 * it as restore does, name only naming it in errors. */
char *capsa_seccomp_encode(const struct capsa_seccomp *f, size_t *len);
int capsa_seccomp_decode(const char *buf, size_t len, const char *name, struct capsa_seccomp **out,
			 struct capsa_error **err) CAPSA_WUR;

/*
 * capsa_seccomp_prepare through a cache of compiled filters in the "@seccomp-cache" directory under root (the
 * runtime's state root, a tmpfs: gone at reboot): compiling docker's default profile costs ~8 ms per
 * create, loading it back ~0.1 ms. An entry holds its whole key (every field of linux.seccomp, length-
 * prefixed, with the libseccomp version and the native architecture) and is used only when the key is
 * byte for byte the same and the filter passes decode's checks; anything else is compiled again and
 * replaces it. Filters with seccomp flags or SCMP_ACT_NOTIFY are never cached (their kernel checks run at
 * every create). root NULL: no cache.
 */
int capsa_seccomp_prepare_cached(const struct oci_seccomp *s, const char *root, struct capsa_seccomp **out,
				 struct capsa_error **err) CAPSA_WUR;
/* The cache key of a profile (exposed for tests); *len is its length (it holds NUL bytes). */
char *capsa_seccomp_cache_key(const struct oci_seccomp *s, size_t *len);

#endif
