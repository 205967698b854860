/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * capsa's default seccomp profile. The JSON file is the one source: the
 * assembler embeds it byte for byte (.incbin, path relative to the top of the
 * tree where make runs), so there is no generated copy to keep in sync;
 * runtime/seccomp.mk makes this object depend on the JSON. Its choices are
 * explained in runtime/seccomp-default.md.
 */
#define _GNU_SOURCE
#include "runtime/seccomp.h"
#include "runtime/runtime.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

__asm__(".pushsection .rodata.capsa_seccomp_default_json, \"a\", @progbits\n"
	".balign 16\n"
	".type capsa_seccomp_default_json_data, @object\n"
	"capsa_seccomp_default_json_data:\n"
	".incbin \"runtime/seccomp-default.json\"\n"
	".byte 0\n"
	".size capsa_seccomp_default_json_data, . - capsa_seccomp_default_json_data\n"
	".popsection\n");
extern const char capsa_seccomp_default_json_data[];

const char *capsa_seccomp_default_profile_json(void)
{
	return capsa_seccomp_default_json_data;
}

static void strv_free_n(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void capsa_seccomp_profile_free(struct oci_seccomp *s)
{
	if (!s)
		return;
	free(s->default_action);
	strv_free_n(s->architectures, s->n_architectures);
	strv_free_n(s->flags, s->n_flags);
	free(s->listener_path);
	free(s->listener_metadata);
	for (size_t i = 0; i < s->n_syscalls; i++) {
		struct oci_seccomp_syscall *sc = &s->syscalls[i];
		strv_free_n(sc->names, sc->n_names);
		free(sc->action);
		for (size_t j = 0; j < sc->n_args; j++)
			free(sc->args[j].op);
		free(sc->args);
	}
	free(s->syscalls);
	free(s);
}

int capsa_seccomp_default_profile(struct oci_seccomp **out, struct capsa_error **err)
{
	_cleanup_oci_config_ struct oci_config *c = NULL;
	_cleanup_free_ char *json = NULL;

	/* The oci-spec parser validates profiles only inside a config: wrap it in the smallest one. */
	json = xasprintf("{\"ociVersion\":\"%s\",\"linux\":{\"seccomp\":%s}}", CAPSA_OCI_VERSION,
			 capsa_seccomp_default_json_data);
	if (capsa_oci_config_parse(json, strlen(json), "seccomp-default.json", &c, err) < 0)
		return capsa_error_prefix(err, "default seccomp profile");
	if (!c->linux_ || !c->linux_->seccomp)
		return capsa_error_set(err, EINVAL,
				       "default seccomp profile: no seccomp object after parsing");
	*out = TAKE_PTR(c->linux_->seccomp);
	return 0;
}

/*
 * Syscalls the default profile refuses because an unprivileged container lacks
 * the capability they need; granting the capability gives them back (as
 * Docker's profile does with its per-capability includes). See
 * runtime/seccomp-default.md.
 */
static const struct {
	const char *cap;
	const char *const names[16];
} cap_syscalls[] = {
	{"CAP_SYS_ADMIN",
	 {"mount", "umount", "umount2", "pivot_root", "setns", "unshare", "clone", "fsopen", "fsconfig",
	  "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr", "quotactl", "quotactl_fd"}},
	{"CAP_SYS_ADMIN", {"bpf", "fanotify_init", "lookup_dcookie", "perf_event_open", "open_by_handle_at"}},
	{"CAP_BPF", {"bpf"}},
	{"CAP_PERFMON", {"perf_event_open"}},
	{"CAP_SYS_BOOT", {"reboot", "kexec_load", "kexec_file_load"}},
	{"CAP_SYS_MODULE", {"init_module", "finit_module", "delete_module"}},
	{"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
	{"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
	{"CAP_SYS_PACCT", {"acct"}},
	{"CAP_SYSLOG", {"syslog"}},
	{"CAP_SYS_NICE", {"move_pages", "migrate_pages"}},
	{"CAP_SYS_TTY_CONFIG", {"vhangup"}},
};

static bool cap_known(const char *cap)
{
	/* Every capability libcap knows, so a typo is an error rather than a silent no-op. */
	return capsa_cap_known(cap);
}

int capsa_seccomp_profile_add_caps(struct oci_seccomp *s, char *const *caps, size_t n_caps,
				   struct capsa_error **err)
{
	for (size_t i = 0; i < n_caps; i++) {
		if (!caps[i] || !cap_known(caps[i]))
			return capsa_error_set(err, 0, "seccomp profile: unknown capability \"%s\"",
					       caps[i] ? caps[i] : "(null)");
	}
	for (size_t i = 0; i < n_caps; i++) {
		for (size_t j = 0; j < ARRAY_SIZE(cap_syscalls); j++) {
			if (strcmp(caps[i], cap_syscalls[j].cap) != 0)
				continue;
			s->syscalls = xreallocarray(s->syscalls, s->n_syscalls + 1, sizeof(*s->syscalls));
			struct oci_seccomp_syscall *sc = &s->syscalls[s->n_syscalls++];
			*sc = (struct oci_seccomp_syscall){.action = xstrdup("SCMP_ACT_ALLOW")};
			for (size_t k = 0; k < ARRAY_SIZE(cap_syscalls[j].names) && cap_syscalls[j].names[k];
			     k++)
				capsa_strv_push(&sc->names, cap_syscalls[j].names[k]);
			sc->n_names = capsa_strv_len(sc->names);
		}
	}
	return 0;
}
