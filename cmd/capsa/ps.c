/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include "containers.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

static const struct option opts[] = {
	{"all", no_argument, NULL, 'a'},	  {"quiet", no_argument, NULL, 'q'},
	{"last", required_argument, NULL, 'n'},	  {"no-trunc", no_argument, NULL, 'T'},
	{"filter", required_argument, NULL, 'f'}, {"format", required_argument, NULL, 'F'},
	{"help", no_argument, NULL, 'h'},	  {0}};

static char *status_text(const struct capsa_ctr *c)
{
	switch (c->status) {
	case CAPSA_CTR_RUNNING:
		return xasprintf("Up");
	case CAPSA_CTR_PAUSED:
		return xasprintf("Up (Paused)");
	case CAPSA_CTR_RESTARTING:
		return xasprintf("Restarting (%d)", c->exit_code);
	case CAPSA_CTR_EXITED: {
		_cleanup_free_ char *age = cli_human_age(c->finished_at);
		return xasprintf("Exited (%d) %s", c->exit_code, age);
	}
	case CAPSA_CTR_DEAD:
		return xasprintf("Dead");
	default:
		return xasprintf("Created");
	}
}

static char *command_text(const struct capsa_ctr *c, bool trunc)
{
	size_t len = 3;
	for (size_t i = 0; i < c->n_args; i++)
		len += strlen(c->args[i]) + 1;
	char *s = xzalloc(len);
	strcat(s, "\"");
	for (size_t i = 0; i < c->n_args; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, c->args[i]);
	}
	if (trunc && strlen(s) > 20)
		strcpy(s + 19, "…");
	strcat(s, "\"");
	return s;
}

/* docker's PORTS: "0.0.0.0:8080->80/tcp, ..." for a running container's published ports. */
static char *ports_text(struct capsa_engine *e, const struct capsa_ctr *c)
{
	struct capsa_port_map *maps = NULL;
	size_t n = 0;
	_cleanup_error_ struct capsa_error *perr = NULL;
	if (c->status != CAPSA_CTR_RUNNING && c->status != CAPSA_CTR_PAUSED)
		return xstrdup("");
	if (capsa_engine_port_list(e, c, &maps, &n, &perr) < 0)
		return xstrdup("");
	char *s = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *t = xasprintf("%s%s%s:%u->%u/%s", s, i ? ", " : "",
				    maps[i].host_ip[0] ? maps[i].host_ip : "0.0.0.0", maps[i].host_port,
				    maps[i].ctr_port, maps[i].proto);
		free(s);
		s = t;
	}
	free(maps);
	return s;
}

/* "k=v,k2=v2", as docker's {{.Labels}}. */
static char *labels_text(const struct capsa_ctr *c)
{
	char *s = xstrdup("");
	for (size_t i = 0; i < c->n_labels; i++) {
		char *t = xasprintf("%s%s%s=%s", s, i ? "," : "", c->labels[i].key, c->labels[i].value);
		free(s);
		s = t;
	}
	return s;
}

/* docker's {{.Mounts}}: each mount's volume name or host path, comma-separated (tmpfs mounts and
 * anonymous volumes have none, and are left out). */
static char *mounts_text(const struct capsa_ctr *c)
{
	char *s = xstrdup("");
	for (size_t i = 0; i < c->n_mounts; i++) {
		if (c->mounts[i].source == NULL)
			continue;
		char *t = xasprintf("%s%s%s", s, *s ? "," : "", c->mounts[i].source);
		free(s);
		s = t;
	}
	return s;
}

/* docker's Go templates, the part scripts use: {{.ID}} {{.Names}} {{.Image}} {{.Command}} {{.Status}}
 * {{.State}} {{.Ports}} {{.CreatedAt}} {{.RunningFor}} {{.Networks}} {{.Labels}} {{.Mounts}} {{.Label "k"}},
 * and capsa's {{.Type}} (container or vm); "\t" and "\n" escapes. Unknown fields are an error. */
static int render(struct capsa_engine *e, const char *fmt, const struct capsa_ctr *c, bool no_trunc,
		  FILE *out, struct capsa_error **err)
{
	for (const char *p = fmt; *p;) {
		if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
			fputc(p[1] == 't' ? '\t' : '\n', out);
			p += 2;
			continue;
		}
		if (strncmp(p, "{{", 2) != 0) {
			fputc(*p++, out);
			continue;
		}
		const char *end = strstr(p, "}}");
		if (end == NULL)
			return capsa_error_set(err, 0, "template: unclosed action in \"%s\"", fmt);
		_cleanup_free_ char *f = xstrndup(p + 2, (size_t)(end - p - 2));
		char *t = f;
		while (*t == ' ')
			t++;
		for (char *q = t + strlen(t); q > t && q[-1] == ' ';)
			*--q = '\0';
		_cleanup_free_ char *v = NULL;
		if (strcmp(t, ".ID") == 0)
			v = xstrndup(c->id, no_trunc ? 64 : 12);
		else if (strcmp(t, ".Names") == 0)
			v = xstrdup(c->name);
		else if (strcmp(t, ".Image") == 0)
			v = xstrdup(c->image);
		else if (strcmp(t, ".Command") == 0)
			v = command_text(c, !no_trunc);
		else if (strcmp(t, ".Status") == 0)
			v = status_text(c);
		else if (strcmp(t, ".State") == 0)
			v = xstrdup(capsa_ctr_status_name(c->status));
		else if (strcmp(t, ".Ports") == 0)
			v = ports_text(e, c);
		else if (strcmp(t, ".Type") == 0)
			v = xstrdup(c->vm ? "vm" : "container");
		else if (strcmp(t, ".CreatedAt") == 0)
			v = xstrdup(c->created ? c->created : "");
		else if (strcmp(t, ".RunningFor") == 0)
			v = cli_human_age(c->created);
		else if (strcmp(t, ".Networks") == 0)
			v = xstrdup(c->network ? c->network : "");
		else if (strcmp(t, ".Labels") == 0 || strcmp(t, ".Mounts") == 0)
			v = strcmp(t, ".Labels") == 0 ? labels_text(c) : mounts_text(c);
		else if (capsa_str_has_prefix(t, ".Label \"") && t[strlen(t) - 1] == '"') {
			_cleanup_free_ char *key = xstrndup(t + 8, strlen(t) - 9);
			for (size_t i = 0; i < c->n_labels && !v; i++)
				if (strcmp(c->labels[i].key, key) == 0)
					v = xstrdup(c->labels[i].value);
			if (!v)
				v = xstrdup("");
		} else {
			return capsa_error_set(err, 0, "template: unknown field \"%s\"", t);
		}
		fputs(v, out);
		p = end + 2;
	}
	fputc('\n', out);
	return 0;
}

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	bool all = false, quiet = false, no_trunc = false;
	int64_t last = -1;
	const char *format = NULL;
	_cleanup_ctr_filter_ struct capsa_ctr_filter *filter = NULL;
	struct capsa_error *ferr = NULL;
	int ch;
	while ((ch = cli_getopt(&capsa_cmd_ps, argc, argv, "aqn:f:", opts)) != -1) {
		switch (ch) {
		case 'h':
			return 0;
		case 'a':
			all = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'T':
			no_trunc = true;
			break;
		case 'n':
			if (capsa_parse_i64(optarg, &last) < 0 || last < 0)
				return cli_usage_error(&capsa_cmd_ps, err, "invalid -n '%s'", optarg);
			all = true;
			break;
		case 'f':
			if (capsa_ctr_filter_add(&filter, optarg, &ferr) < 0) {
				/* A usage error (125), with the reason. */
				int r = cli_usage_error(&capsa_cmd_ps, err, "%s", ferr->msg);
				capsa_error_free(ferr);
				return r;
			}
			if (capsa_ctr_filter_wants_all(filter))
				all = true;
			break;
		case 'F':
			format = optarg;
			break;
		default:
			return cli_usage_error(&capsa_cmd_ps, err, "unknown flag");
		}
	}
	if (optind != argc)
		return cli_usage_error(&capsa_cmd_ps, err, "takes no arguments");
	_cleanup_engine_ struct capsa_engine *e = NULL;
	struct capsa_ctr **v = NULL;
	size_t n = 0;
	if (capsa_engine_open(cli->root, &e, err) < 0 || capsa_engine_list(e, &v, &n, err) < 0)
		return -1;
	bool json = format && strcmp(format, "json") == 0;
	const char *tmpl = format && strcmp(format, "json") && strcmp(format, "table") ? format : NULL;
	if (tmpl && capsa_str_has_prefix(tmpl, "table "))
		tmpl += 6; /* no header line for templates */
	if (!quiet && !json && !tmpl)
		printf("%-12s   %-20s   %-22s   %-16s   %-24s   %-20s   %s\n", "CONTAINER ID", "IMAGE",
		       "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES");
	int64_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		struct capsa_ctr *c = v[i];
		bool up = c->status == CAPSA_CTR_RUNNING || c->status == CAPSA_CTR_PAUSED ||
			  c->status == CAPSA_CTR_RESTARTING;
		if ((!all && !up) || !capsa_ctr_filter_match(filter, c))
			continue;
		if (last >= 0 && shown >= last)
			break;
		shown++;
		if (quiet) {
			printf("%.*s\n", no_trunc ? 64 : 12, c->id);
			continue;
		}
		_cleanup_free_ char *st = status_text(c);
		_cleanup_free_ char *cmd = command_text(c, !no_trunc);
		_cleanup_free_ char *age = cli_human_age(c->created);
		_cleanup_free_ char *ports = ports_text(e, c);
		if (tmpl) {
			if (render(e, tmpl, c, no_trunc, stdout, err) < 0) {
				capsa_ctr_list_free(v, n);
				return -1;
			}
			continue;
		}
		if (json) {
			printf("{\"ID\":\"%.12s\",\"Image\":\"%s\",\"Names\":\"%s\",\"State\":\"%s\",\"Status\":\"%s\","
			       "\"Ports\":\"%s\",\"Type\":\"%s\"}\n",
			       c->id, c->image, c->name, capsa_ctr_status_name(c->status), st, ports,
			       c->vm ? "vm" : "container");
			continue;
		}
		/* A micro-VM is marked in the IMAGE column, where a reader looks for what runs. */
		_cleanup_free_ char *image = c->vm ? xasprintf("%s (vm)", c->image) : xstrdup(c->image);
		printf("%.*s   %-20s   %-22s   %-16s   %-24s   %-20s   %s\n", no_trunc ? 64 : 12, c->id,
		       image, cmd, age, st, ports, c->name);
	}
	capsa_ctr_list_free(v, n);
	return 0;
}

const struct capsa_cmd capsa_cmd_ps = {
	.name = "ps",
	.summary = "List containers",
	.usage =
		"[-a] [-q] [-n N] [--no-trunc] [--filter status=|name=|label=|id=|exited=|type=vm|container] "
		"[--format table|json|TEMPLATE]",
	.run = run,
};
