/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `ps --filter KEY=VALUE`: docker's container filters. Values of one key are alternatives (status=running
 * status=created shows both), different keys must all hold, and label= filters must all hold, as
 * docker has it. name= is a regular expression (POSIX extended) searched in the name, as docker's is.
 */
#define _GNU_SOURCE
#include "engine/engine.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

enum key { K_STATUS, K_NAME, K_ID, K_TYPE, K_EXITED, K_LABEL, K_N };

static const char *const key_names[K_N] = {"status", "name", "id", "type", "exited", "label"};

struct value {
	char *text;
	regex_t re; /* name= only */
	int code;   /* exited= only */
};

struct capsa_ctr_filter {
	struct value *v[K_N];
	size_t n[K_N];
};

static const char *const statuses[] = {"created", "restarting", "running", "removing",
				       "paused",  "exited",	"dead"};

int capsa_ctr_filter_add(struct capsa_ctr_filter **fp, const char *spec, struct capsa_error **err)
{
	const char *eq = spec ? strchr(spec, '=') : NULL;
	if (eq == NULL)
		return capsa_error_set(err, EINVAL, "invalid filter '%s': not KEY=VALUE", spec ? spec : "");
	size_t kl = (size_t)(eq - spec);
	const char *val = eq + 1;
	int k = 0;
	while (k < K_N && !(strlen(key_names[k]) == kl && strncmp(spec, key_names[k], kl) == 0))
		k++;
	if (k == K_N)
		return capsa_error_set(
			err, EINVAL,
			"invalid filter '%.*s': not one of status, name, id, type, exited, label", (int)kl,
			spec);
	struct value nv = {.code = -1};
	switch (k) {
	case K_STATUS: {
		bool known = false;
		for (size_t i = 0; i < ARRAY_SIZE(statuses) && !known; i++)
			known = strcmp(val, statuses[i]) == 0;
		if (!known)
			return capsa_error_set(
				err, EINVAL,
				"invalid filter 'status=%s': not one of created, restarting, running, "
				"removing, paused, exited, dead",
				val);
		break;
	}
	case K_NAME: {
		int r = regcomp(&nv.re, val, REG_EXTENDED | REG_NOSUB);
		if (r != 0) {
			char why[128];
			regerror(r, &nv.re, why, sizeof(why));
			return capsa_error_set(err, EINVAL, "invalid filter 'name=%s': %s", val, why);
		}
		break;
	}
	case K_TYPE:
		if (strcmp(val, "vm") && strcmp(val, "container"))
			return capsa_error_set(err, EINVAL, "invalid filter 'type=%s': not vm or container",
					       val);
		break;
	case K_EXITED: {
		int64_t code;
		if (capsa_parse_i64(val, &code) < 0 || code < 0 || code > 255)
			return capsa_error_set(err, EINVAL,
					       "invalid filter 'exited=%s': not an exit code 0-255", val);
		nv.code = (int)code;
		break;
	}
	case K_ID:
	case K_LABEL:
		if (*val == '\0')
			return capsa_error_set(err, EINVAL, "invalid filter '%s': empty value", spec);
		break;
	}
	if (*fp == NULL)
		*fp = xzalloc(sizeof(**fp));
	struct capsa_ctr_filter *f = *fp;
	f->v[k] = xrealloc(f->v[k], (f->n[k] + 1) * sizeof(*f->v[k]));
	nv.text = xstrdup(val);
	f->v[k][f->n[k]++] = nv;
	return 0;
}

static bool has_label(const struct capsa_ctr *c, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t kl = eq ? (size_t)(eq - kv) : strlen(kv);
	for (size_t j = 0; j < c->n_labels; j++)
		if (strlen(c->labels[j].key) == kl && strncmp(c->labels[j].key, kv, kl) == 0 &&
		    (!eq || strcmp(c->labels[j].value, eq + 1) == 0))
			return true;
	return false;
}

static bool value_holds(int k, const struct value *v, const struct capsa_ctr *c)
{
	switch (k) {
	case K_STATUS:
		return strcmp(capsa_ctr_status_name(c->status), v->text) == 0;
	case K_NAME:
		return regexec(&v->re, c->name ? c->name : "", 0, NULL, 0) == 0;
	case K_ID:
		return capsa_str_has_prefix(c->id, v->text);
	case K_TYPE:
		return strcmp(v->text, c->vm ? "vm" : "container") == 0;
	case K_EXITED:
		return c->status == CAPSA_CTR_EXITED && c->exit_code == v->code;
	default:
		return has_label(c, v->text);
	}
}

bool capsa_ctr_filter_match(const struct capsa_ctr_filter *f, const struct capsa_ctr *c)
{
	if (f == NULL)
		return true;
	for (int k = 0; k < K_N; k++) {
		if (f->n[k] == 0)
			continue;
		/* label=: every one; the other keys: any of their values. */
		bool all = k == K_LABEL, any = false;
		for (size_t i = 0; i < f->n[k]; i++) {
			bool h = value_holds(k, &f->v[k][i], c);
			if (all && !h)
				return false;
			any = any || h;
		}
		if (!any)
			return false;
	}
	return true;
}

bool capsa_ctr_filter_wants_all(const struct capsa_ctr_filter *f)
{
	/* As docker: asking for a status or an exit code shows stopped containers without -a. */
	return f && (f->n[K_STATUS] > 0 || f->n[K_EXITED] > 0);
}

void capsa_ctr_filter_free(struct capsa_ctr_filter *f)
{
	if (f == NULL)
		return;
	for (int k = 0; k < K_N; k++) {
		for (size_t i = 0; i < f->n[k]; i++) {
			if (k == K_NAME)
				regfree(&f->v[k][i].re);
			free(f->v[k][i].text);
		}
		free(f->v[k]);
	}
	free(f);
}
