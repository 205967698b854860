// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capsa compare: the same image and command as a container and as a micro-VM, runs interleaved so both see
 * the same machine load; medians and spread of wall time and time to first output, exit codes, and from
 * each run's --stats-file the host memory and CPU time its cgroup used (the container's processes, or the
 * whole VM: UML's processes and the guest memory they touched, as they are in the container's cgroup).
 * Without a command, three workloads: start-up only, a syscall-heavy one and a file-I/O one. --svg draws
 * bar charts of the medians.
 */
#define _GNU_SOURCE
#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 100

struct sample {
	double wall, ttfo;     /* seconds; ttfo -1 when nothing was printed */
	double mem_mib, cpu_s; /* -1 when the run wrote no summary */
	int code;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One `capsa run` (with --vm when vm) of argv, its stdout read here and discarded. */
/* Peak memory and CPU time from a --stats-file summary. */
static void read_summary(const char *path, struct sample *s)
{
	s->mem_mib = s->cpu_s = -1;
	json_object *o = json_object_from_file(path), *v;
	if (!o)
		return;
	if (json_object_object_get_ex(o, "peak_memory_bytes", &v) && json_object_is_type(v, json_type_int))
		s->mem_mib = (double)json_object_get_int64(v) / (1 << 20);
	json_object *u, *sy;
	if (json_object_object_get_ex(o, "cpu_user_s", &u) &&
	    json_object_object_get_ex(o, "cpu_system_s", &sy))
		s->cpu_s = json_object_get_double(u) + json_object_get_double(sy);
	json_object_put(o);
}

static int one_run(const char *root, const char *image, char *const *cmd, size_t n_cmd, bool vm,
		   const char *summary, struct sample *s, struct capsa_error **err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return capsa_error_errno(err, "pipe");
	char **argv = xcalloc(n_cmd + 12, sizeof(char *));
	(void)unlink(summary);
	size_t a = 0;
	argv[a++] = "capsa";
	argv[a++] = "--root";
	argv[a++] = (char *)root;
	argv[a++] = "run";
	argv[a++] = "--rm";
	argv[a++] = "--stats-file";
	argv[a++] = (char *)summary;
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
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return capsa_error_errno(err, "waitpid");
	s->wall = now() - t0;
	read_summary(summary, s);
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
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		double x = field == 0	? s[i].wall
			   : field == 1 ? s[i].ttfo
			   : field == 2 ? s[i].mem_mib
					: s[i].cpu_s;
		if (x >= 0) /* a run without output or without a summary does not count */
			v[k++] = x;
	}
	if (k == 0)
		return (struct stat3){-1, -1, -1};
	n = k;
	qsort(v, n, sizeof(double), cmp_double);
	struct stat3 r = {n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v[0], v[n - 1]};
	return r;
}

struct workload {
	const char *name;
	char **cmd;
	size_t n_cmd;
	struct stat3 wall[2], mem[2];
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

/* One bar chart: per workload a container and a vm bar (median) with a min-max whisker. */
static void svg_panel(FILE *f, int x_left, const char *title, const char *unit, const struct workload *w,
		      size_t n, bool mem)
{
	const int base = 280, plot = 200;
	double top = 0;
	for (size_t i = 0; i < n; i++)
		for (int m = 0; m < 2; m++) {
			const struct stat3 *v = mem ? &w[i].mem[m] : &w[i].wall[m];
			if (v->max > top)
				top = v->max;
		}
	if (top <= 0)
		top = 1;
	fprintf(f, "<text x=\"%d\" y=\"50\" font-size=\"13\">%s</text>\n", x_left, title);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", x_left + 50, base,
		x_left + 60 + 140 * (int)n, base);
	fprintf(f, "<text x=\"%d\" y=\"%d\">%.3g %s</text>\n<text x=\"%d\" y=\"%d\">0</text>\n", x_left,
		base - plot + 4, top, unit, x_left, base + 4);
	static const char *color[2] = {"#4878d0", "#ee854a"};
	for (size_t i = 0; i < n; i++) {
		int x0 = x_left + 60 + 140 * (int)i;
		for (int m = 0; m < 2; m++) {
			const struct stat3 *v = mem ? &w[i].mem[m] : &w[i].wall[m];
			if (v->med < 0)
				continue;
			int x = x0 + 55 * m, h = (int)(v->med / top * plot);
			int ylo = base - (int)(v->min / top * plot), yhi = base - (int)(v->max / top * plot);
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"45\" height=\"%d\" fill=\"%s\"/>\n", x,
				base - h, h, color[m]);
			fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
				x + 22, ylo, x + 22, yhi);
			fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\">%.3g</text>\n", x, base - h - 4,
				v->med);
		}
		fprintf(f, "<text x=\"%d\" y=\"%d\">", x0, base + 18);
		svg_escape(f, w[i].name);
		fputs("</text>\n", f);
	}
}

static int write_svg(FILE *f, const char *path, const char *image, const struct workload *w, size_t n,
		     int runs, struct capsa_error **err)
{
	const int panel = 140 * (int)n + 90, W = 2 * panel + 40, H = 350;
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
		"font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		W, H);
	fprintf(f, "<text x=\"10\" y=\"22\" font-size=\"15\">capsa compare: ");
	svg_escape(f, image);
	fprintf(f, ", medians of %d interleaved runs (whiskers: min to max)</text>\n", runs);
	svg_panel(f, 10, "wall time", "s", w, n, false);
	svg_panel(f, 10 + panel + 20, "host memory (cgroup peak)", "MiB", w, n, true);
	static const char *color[2] = {"#4878d0", "#ee854a"}, *label[2] = {"container", "micro-VM"};
	for (int m = 0; m < 2; m++)
		fprintf(f,
			"<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>\n",
			70 + 110 * m, H - 28, color[m], 86 + 110 * m, H - 17, label[m]);
	fputs("</svg>\n", f);
	if (fflush(f) != 0 || ferror(f))
		return capsa_error_errno(err, "--svg %s", path);
	return 0;
}

/* Every workload in both modes, interleaved; prints the table as it goes and fills w[..].wall/mem. */
static int run_all(const char *root, const char *image, char **cmd, size_t n_cmd, uint64_t runs,
		   const char *summary, struct workload *w, size_t *nw, struct capsa_error **err)
{
	/* Each workload prints first, so time to first output is the time to the process's start. */
	static char *w_true[] = {"sh", "-c", "echo start"};
	static char *w_sys[] = {"sh", "-c",
				"echo start; dd if=/dev/zero of=/dev/null bs=1 count=50000 2>/dev/null"};
	static char *w_io[] = {
		"sh", "-c",
		"echo start; dd if=/dev/zero of=/tmp/capsa-compare bs=4k count=4096 conv=fsync 2>/dev/null"
		" && cat /tmp/capsa-compare >/dev/null && rm /tmp/capsa-compare"};
	w[0] = (struct workload){.name = "start-up", .cmd = w_true, .n_cmd = 3};
	w[1] = (struct workload){.name = "syscalls", .cmd = w_sys, .n_cmd = 3};
	w[2] = (struct workload){.name = "file-io", .cmd = w_io, .n_cmd = 3};
	*nw = 3;
	if (n_cmd) {
		w[0] = (struct workload){.name = "command", .cmd = cmd, .n_cmd = n_cmd};
		*nw = 1;
	}
	printf("%-9s %-9s %9s %9s %9s %9s %9s %9s %s\n", "WORKLOAD", "MODE", "WALL(med)", "WALL(min)",
	       "WALL(max)", "FIRST-OUT", "CPU(s)", "MEM(MiB)", "EXIT");
	for (size_t i = 0; i < *nw; i++) {
		struct sample s[2][MAX_RUNS];
		for (uint64_t r = 0; r < runs; r++)
			for (int m = 0; m < 2; m++) {
				/* Alternate which goes first so neither always runs on a warmer cache. */
				int mode = (int)(r % 2) ^ m;
				if (one_run(root, image, w[i].cmd, w[i].n_cmd, mode == 1, summary,
					    &s[mode][r], err) < 0)
					return -1;
			}
		for (int m = 0; m < 2; m++) {
			w[i].wall[m] = stats(s[m], runs, 0);
			w[i].mem[m] = stats(s[m], runs, 2);
			struct stat3 t = stats(s[m], runs, 1), cpu = stats(s[m], runs, 3);
			char codes[64] = "";
			bool same = true;
			for (uint64_t r = 1; r < runs; r++)
				same &= s[m][r].code == s[m][0].code;
			snprintf(codes, sizeof(codes), same ? "%d" : "%d (varies)", s[m][0].code);
			printf("%-9s %-9s %9.3f %9.3f %9.3f %9.3f %9.3f %9.1f %s\n", w[i].name,
			       m ? "vm" : "container", w[i].wall[m].med, w[i].wall[m].min, w[i].wall[m].max,
			       t.med, cpu.med, w[i].mem[m].med, codes);
		}
		fflush(stdout);
	}
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
	struct workload w[3];
	size_t nw = 0;
	{
		/* An unknown image fails here, not as 2 x runs failed runs. */
		_cleanup_image_store_ struct capsa_image_store *st = NULL;
		const struct capsa_image *img;
		if (cli_open_store(cli, false, &st, err) < 0 || capsa_image_lookup(st, image, &img, err) < 0)
			return -1;
	}
	/* Opened before the runs, so a path that cannot be written fails at once, not minutes later. */
	_cleanup_fclose_ FILE *svgf = NULL;
	if (svg && !(svgf = fopen(svg, "we")))
		return capsa_error_errno(err, "--svg %s", svg);
	char tmp[] = "/tmp/capsa-compare-XXXXXX";
	if (!mkdtemp(tmp))
		return capsa_error_errno(err, "mkdtemp %s", tmp);
	_cleanup_free_ char *summary = xasprintf("%s/summary.json", tmp);
	int ret = run_all(cli->root, image, argv + optind + 1, (size_t)(argc - optind - 1), runs, summary, w,
			  &nw, err);
	(void)unlink(summary);
	(void)rmdir(tmp);
	if (ret < 0) {
		if (svgf)
			(void)unlink(svg); /* made empty above; a failed compare leaves no chart */
		return -1;
	}
	if (svgf && write_svg(svgf, svg, image, w, nw, (int)runs, err) < 0)
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
