// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capsa compare: the same image and command as a container and as a micro-VM, runs interleaved so both see
 * the same machine load; medians and spread of wall time and time to first output, exit codes, and the
 * peak RSS wait4 reports for capsa's process tree. Without a command, three workloads: start-up only, a
 * syscall-heavy one and a file-I/O one. --svg draws a bar chart of the medians.
 */
#define _GNU_SOURCE
#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 100

struct sample {
	double wall, ttfo; /* seconds; ttfo -1 when nothing was printed */
	long rss_kb;
	int code;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One `capsa run` (with --vm when vm) of argv, its stdout read here and discarded. */
static int one_run(const char *root, const char *image, char *const *cmd, size_t n_cmd, bool vm,
		   struct sample *s, struct capsa_error **err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return capsa_error_errno(err, "pipe");
	char **argv = xcalloc(n_cmd + 10, sizeof(char *));
	size_t a = 0;
	argv[a++] = "capsa";
	argv[a++] = "--root";
	argv[a++] = (char *)root;
	argv[a++] = "run";
	argv[a++] = "--rm";
	if (vm) {
		argv[a++] = "--vm"; /* a micro-VM is a container too: --rm removes its record */
	} else {
		argv[a++] = "--network";
		argv[a++] = "none";
	}
	argv[a++] = (char *)image;
	for (size_t i = 0; i < n_cmd; i++)
		argv[a++] = cmd[i];
	double t0 = now();
	pid_t pid = fork();
	if (pid < 0) {
		free(argv);
		close(p[0]);
		close(p[1]);
		return capsa_error_errno(err, "fork");
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		if (dup2(nul, 0) < 0 || dup2(p[1], 1) < 0 || dup2(nul, 2) < 0)
			_exit(125);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	free(argv);
	close(p[1]);
	char buf[4096];
	ssize_t n;
	s->ttfo = -1;
	while ((n = read(p[0], buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (s->ttfo < 0)
			s->ttfo = now() - t0;
	}
	close(p[0]);
	int st;
	struct rusage ru;
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR)
			return capsa_error_errno(err, "wait4");
	s->wall = now() - t0;
	s->rss_kb = ru.ru_maxrss;
	s->code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct stat3 {
	double med, min, max;
};

static struct stat3 stats(const struct sample *s, size_t n, int field)
{
	double v[MAX_RUNS];
	for (size_t i = 0; i < n; i++)
		v[i] = field == 0 ? s[i].wall : field == 1 ? s[i].ttfo : (double)s[i].rss_kb;
	qsort(v, n, sizeof(double), cmp_double);
	struct stat3 r = {n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v[0], v[n - 1]};
	return r;
}

struct workload {
	const char *name;
	char **cmd;
	size_t n_cmd;
	struct stat3 wall[2];
};

static void svg_escape(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
}

static int write_svg(const char *path, const char *image, const struct workload *w, size_t n, int runs,
		     struct capsa_error **err)
{
	double top = 0;
	for (size_t i = 0; i < n; i++)
		for (int m = 0; m < 2; m++)
			if (w[i].wall[m].max > top)
				top = w[i].wall[m].max;
	if (top <= 0)
		top = 1;
	const int W = 160 * (int)n + 120, H = 320, base = 260, plot = 200;
	_cleanup_fclose_ FILE *f = fopen(path, "we");
	if (!f)
		return capsa_error_errno(err, "--svg %s", path);
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
		"font-size=\"12\">\n",
		W, H);
	fprintf(f, "<text x=\"10\" y=\"20\" font-size=\"14\">capsa compare: ");
	svg_escape(f, image);
	fprintf(f, ", median wall time of %d runs (whiskers: min-max)</text>\n", runs);
	fprintf(f, "<line x1=\"60\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", base, W - 20, base);
	fprintf(f, "<text x=\"5\" y=\"%d\">%.2f s</text>\n<text x=\"5\" y=\"%d\">0</text>\n", base - plot + 4,
		top, base + 4);
	const char *color[2] = {"#4878d0", "#ee854a"}, *label[2] = {"container", "vm"};
	for (size_t i = 0; i < n; i++) {
		int x0 = 80 + 160 * (int)i;
		for (int m = 0; m < 2; m++) {
			int x = x0 + 60 * m, h = (int)(w[i].wall[m].med / top * plot);
			int ylo = base - (int)(w[i].wall[m].min / top * plot),
			    yhi = base - (int)(w[i].wall[m].max / top * plot);
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"50\" height=\"%d\" fill=\"%s\"/>\n", x,
				base - h, h, color[m]);
			fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
				x + 25, ylo, x + 25, yhi);
			fprintf(f, "<text x=\"%d\" y=\"%d\">%.3f</text>\n", x, base - h - 4,
				w[i].wall[m].med);
		}
		fprintf(f, "<text x=\"%d\" y=\"%d\">", x0, base + 18);
		svg_escape(f, w[i].name);
		fputs("</text>\n", f);
	}
	for (int m = 0; m < 2; m++)
		fprintf(f,
			"<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>\n",
			80 + 110 * m, base + 35, color[m], 96 + 110 * m, base + 46, label[m]);
	fputs("</svg>\n", f);
	if (fflush(f) != 0 || ferror(f))
		return capsa_error_errno(err, "--svg %s", path);
	return 0;
}

static const char compare_help[] =
	"      --runs N             runs of each mode per workload (default 5, at most 100)\n"
	"      --svg FILE           also draw the medians as an SVG bar chart\n";

static int compare(struct capsa_cli *cli, int argc, char **argv, struct capsa_error **err)
{
	static const struct option opts[] = {{"runs", required_argument, NULL, 'n'},
					     {"svg", required_argument, NULL, 's'},
					     {"help", no_argument, NULL, 'h'},
					     {}};
	uint64_t runs = 5;
	const char *svg = NULL;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (capsa_parse_u64(optarg, &runs) < 0 || runs < 1 || runs > MAX_RUNS)
				return cli_usage_error(&capsa_cmd_compare, err,
						       "--runs %s: not a number from 1 to %d", optarg,
						       MAX_RUNS);
			break;
		case 's':
			svg = optarg;
			break;
		case 'h':
			cli_usage(&capsa_cmd_compare, stdout);
			return 0;
		default:
			return cli_usage_error(&capsa_cmd_compare, err, "unknown flag");
		}
	}
	if (optind >= argc)
		return cli_usage_error(&capsa_cmd_compare, err, "requires at least 1 argument (the image)");
	const char *image = argv[optind];
	/* Each workload prints first, so time to first output is the time to the process's start. */
	static char *w_true[] = {"sh", "-c", "echo start"};
	static char *w_sys[] = {"sh", "-c",
				"echo start; dd if=/dev/zero of=/dev/null bs=1 count=50000 2>/dev/null"};
	static char *w_io[] = {
		"sh", "-c",
		"echo start; dd if=/dev/zero of=/tmp/capsa-compare bs=4k count=4096 conv=fsync 2>/dev/null"
		" && cat /tmp/capsa-compare >/dev/null && rm /tmp/capsa-compare"};
	struct workload w[3] = {{.name = "start-up", .cmd = w_true, .n_cmd = 3},
				{.name = "syscalls", .cmd = w_sys, .n_cmd = 3},
				{.name = "file-io", .cmd = w_io, .n_cmd = 3}};
	size_t nw = 3;
	if (optind + 1 < argc) {
		w[0] = (struct workload){
			.name = "command", .cmd = argv + optind + 1, .n_cmd = (size_t)(argc - optind - 1)};
		nw = 1;
	}
	printf("%-9s %-9s %10s %10s %10s %10s %9s %s\n", "WORKLOAD", "MODE", "WALL(med)", "WALL(min)",
	       "WALL(max)", "FIRST-OUT", "RSS(KiB)", "EXIT");
	for (size_t i = 0; i < nw; i++) {
		struct sample s[2][MAX_RUNS];
		for (uint64_t r = 0; r < runs; r++)
			for (int m = 0; m < 2; m++) {
				/* Alternate which goes first so neither always runs on a warmer cache. */
				int mode = (int)(r % 2) ^ m;
				if (one_run(cli->root, image, w[i].cmd, w[i].n_cmd, mode == 1, &s[mode][r],
					    err) < 0)
					return -1;
			}
		for (int m = 0; m < 2; m++) {
			w[i].wall[m] = stats(s[m], runs, 0);
			struct stat3 t = stats(s[m], runs, 1), rss = stats(s[m], runs, 2);
			char codes[64] = "";
			bool same = true;
			for (uint64_t r = 1; r < runs; r++)
				same &= s[m][r].code == s[m][0].code;
			snprintf(codes, sizeof(codes), same ? "%d" : "%d (varies)", s[m][0].code);
			printf("%-9s %-9s %10.3f %10.3f %10.3f %10.3f %9.0f %s\n", w[i].name,
			       m ? "vm" : "container", w[i].wall[m].med, w[i].wall[m].min, w[i].wall[m].max,
			       t.med, rss.med, codes);
		}
		fflush(stdout);
	}
	if (svg && write_svg(svg, image, w, nw, (int)runs, err) < 0)
		return -1;
	return 0;
}

const struct capsa_cmd capsa_cmd_compare = {
	.name = "compare",
	.summary = "Run an image as a container and as a micro-VM, interleaved, and compare them",
	.usage = "[--runs N] [--svg FILE] IMAGE [COMMAND] [ARG...]",
	.help = compare_help,
	.run = compare,
};
