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
