/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `capsa pull`, and the docker-like progress lines it shares with `run --pull`. */
#define _GNU_SOURCE
#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "docker.io/library/busybox:latest" -> "busybox:latest", as docker shows names. */
static char *familiar(const char *name)
{
	const char *n = name;
	if (capsa_str_has_prefix(n, "docker.io/")) {
		n += 10;
		if (capsa_str_has_prefix(n, "library/") && strchr(n + 8, '/') == NULL)
			n += 8;
	}
	return xstrdup(n);
}

void cli_pull_printer_init(struct cli_pull_printer *p, FILE *f, bool quiet, const char *ref)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->quiet = quiet;
	p->tty = isatty(fileno(f));
	_cleanup_image_ref_ struct capsa_image_ref *r = NULL;
	if (capsa_image_ref_parse(ref, &r, NULL) == 0) {
		p->path = xstrdup(r->path);
		p->what = xstrdup(r->digest ? r->digest : r->tag);
		_cleanup_free_ char *full = capsa_image_ref_string(r);
		p->name = familiar(full);
	}
}

void cli_pull_printer_clear(struct cli_pull_printer *p)
{
	free(p->path);
	free(p->what);
	free(p->name);
	memset(p, 0, sizeof(*p));
}

static void end_bar(struct cli_pull_printer *p)
{
	if (p->bar) {
		fputs("\r\033[K", p->f);
		p->bar = false;
	}
}

static void bar(struct cli_pull_printer *p, const char *id, int64_t done, int64_t total)
{
	char line[64];
	int width = 50, fill = total > 0 ? (int)(done * width / total) : 0;
	if (fill > width)
		fill = width;
	for (int i = 0; i < width; i++)
		line[i] = i < fill ? '=' : i == fill ? '>' : ' ';
	line[width] = '\0';
	_cleanup_free_ char *d = cli_human_size(done);
	_cleanup_free_ char *t = cli_human_size(total);
	fprintf(p->f, "\r\033[K%s: Downloading [%s] %s/%s", id, line, d, t);
	p->bar = true;
	fflush(p->f);
}

void cli_pull_progress(void *ctx, const struct capsa_pull_event *ev)
{
	struct cli_pull_printer *p = ctx;
	if (p->quiet)
		return;
	char id[13] = "";
	if (ev->digest) {
		const char *c = strchr(ev->digest, ':');
		snprintf(id, sizeof(id), "%s", c ? c + 1 : ev->digest);
	}
	if (ev->kind == CAPSA_PULL_LAYER_PROGRESS) {
		/* A bar redrawn in place means nothing in a log file. */
		if (p->tty)
			bar(p, id, ev->done, ev->total);
		return;
	}
	end_bar(p);
	switch (ev->kind) {
	case CAPSA_PULL_MISSING:
		fprintf(p->f, "Unable to find image '%s' locally\n",
			ev->msg	  ? ev->msg
			: p->name ? p->name
				  : "");
		break;
	case CAPSA_PULL_RESOLVED:
		fprintf(p->f, "%s: Pulling from %s\n", p->what ? p->what : "", p->path ? p->path : "");
		break;
	case CAPSA_PULL_LAYER_WAITING:
		fprintf(p->f, "%s: Pulling fs layer\n", id);
		break;
	case CAPSA_PULL_LAYER_EXISTS:
		fprintf(p->f, "%s: Already exists\n", id);
		break;
	case CAPSA_PULL_LAYER_VERIFYING:
		fprintf(p->f, "%s: Verifying Checksum\n", id);
		break;
	case CAPSA_PULL_LAYER_DOWNLOADED:
		fprintf(p->f, "%s: Download complete\n", id);
		break;
	case CAPSA_PULL_LAYER_RETRY:
		fprintf(p->f, "%s: Retrying (attempt %lld of %lld): %s\n", id, (long long)ev->done,
			(long long)ev->total, ev->msg ? ev->msg : "");
		break;
	case CAPSA_PULL_LAYER_EXTRACTED:
		fprintf(p->f, "%s: Pull complete\n", id);
		break;
	case CAPSA_PULL_DONE:
		fprintf(p->f, "Digest: %s\nStatus: %s for %s\n", ev->digest, ev->msg, p->name ? p->name : "");
		break;
	default:
		break;
	}
	fflush(p->f);
}

static int parse_bool(const char *s, bool *out)
{
	if (s == NULL || !strcmp(s, "true") || !strcmp(s, "1")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "false") || !strcmp(s, "0")) {
		*out = false;
		return 0;
	}
	return -1;
}

static int run(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	enum { OPT_TLS = 256, OPT_AUTHFILE };
	static const struct option opts[] = {
		{"platform", required_argument, NULL, 'p'},
		{"quiet", no_argument, NULL, 'q'},
		{"tls-verify", optional_argument, NULL, OPT_TLS},
		{"authfile", required_argument, NULL, OPT_AUTHFILE},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct capsa_pull_opts o = {0};
	bool quiet = false;
	int c;
	while ((c = cli_getopt(&capsa_cmd_pull, argc, argv, "q", opts)) != -1) {
		switch (c) {
		case 'p':
			o.platform = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case OPT_TLS: {
			bool verify;
			if (parse_bool(optarg, &verify) < 0)
				return cli_usage_error(&capsa_cmd_pull, err,
						       "bad --tls-verify \"%s\" (true or false)", optarg);
			o.insecure = !verify;
			break;
		}
		case OPT_AUTHFILE:
			o.authfile = optarg;
			break;
		case 'h':
			return 0;
		default:
			return cli_usage_error(&capsa_cmd_pull, err, "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage_error(&capsa_cmd_pull, err, "requires exactly 1 argument (the image)");
	if (optind + 1 < argc)
		return cli_usage_error(&capsa_cmd_pull, err, "requires exactly 1 argument, got %d",
				       argc - optind);
	const char *ref = argv[optind];
	/* A bad reference or platform is refused before the store is touched. */
	_cleanup_free_ char *norm = NULL;
	if (capsa_image_ref_normalize(ref, &norm, err) < 0)
		return -1;
	if (o.platform) {
		struct capsa_platform plat;
		if (capsa_platform_parse(o.platform, &plat, err) < 0)
			return -1;
		capsa_platform_clear(&plat);
	}
	struct cli_pull_printer p;
	cli_pull_printer_init(&p, stdout, quiet, ref);
	o.progress = cli_pull_progress;
	o.progress_ctx = &p;
	_cleanup_image_store_ struct capsa_image_store *s = NULL;
	struct capsa_pull_result res;
	int r = cli_open_store(cli, true, &s, err) < 0 || capsa_image_pull(s, ref, &o, &res, err) < 0 ? -1
												      : 0;
	end_bar(&p);
	cli_pull_printer_clear(&p);
	if (r < 0)
		return -1;
	printf("%s\n", res.name);
	capsa_pull_result_clear(&res);
	return 0;
}

const struct capsa_cmd capsa_cmd_pull = {
	.name = "pull",
	.summary = "Download an image from a registry",
	.usage = "[OPTIONS] NAME[:TAG|@DIGEST]",
	.help = "      --platform P        image to pick from a multi-platform index (default: this host's)\n"
		"  -q, --quiet             print only the image name\n"
		"      --tls-verify=false  allow plain HTTP and unverified certificates (loopback registries\n"
		"                          always use plain HTTP)\n"
		"      --authfile FILE     credentials (default $REGISTRY_AUTH_FILE or ~/.docker/config.json)\n",
	.run = run,
};
