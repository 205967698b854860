/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test driver for capsa's VMM: runs a kernel or guest program and exits with the guest's status.
 *   vmrun [--mem MiB] [--cpus N] [--cmdline S] [--initrd F] [--disk F] [--disk-ro] [--disk-cow DIR]
 *         [--console-in F] [--console-out F] [--console-err F] [--timeout MS] [--stats] [--allow-pvm-linux]
 *         [--no-eventfds] KERNEL
 *   vmrun --pvm-check   (exit 0 and a message when this host's KVM is PVM)
 * The UART goes to stdout, virtio-console output to --console-out (default: stdout), its input comes from
 * --console-in (default: stdin). A VMM error or an abnormal end exits 125 with "vmrun: <reason>" on stderr.
 * SIGTERM or SIGINT stops the VM from the host side, the way `capsa stop` will. --check-leaks runs the VM
 * twice in this process and fails (exit 124) when the second run leaves more fds, threads or mappings behind.
 */
#include "vm/vm.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "vmrun: %s: %m\n", path);
		exit(125);
	}
	return fd;
}

static int stop_fd = -1;

static long maxrss_kib(void)
{
	struct rusage ru;
	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

static int count_dir(const char *path)
{
	_cleanup_closedir_ DIR *d = opendir(path);
	int n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	return n;
}

static int count_lines(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	int n = 0, c;
	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	return n;
}

static void on_signal(int sig)
{
	uint64_t one = 1;
	(void)sig;
	if (write(stop_fd, &one, sizeof(one)) < 0)
		_exit(125);
}

int main(int argc, char **argv)
{
	struct capsa_vm_config cfg = {
		.serial_out_fd = 1, .console_in_fd = 0, .console_out_fd = 1, .stop_fd = -1};
	bool stats = false, check_leaks = false;
	static const struct option opts[] = {
		{"mem", required_argument, NULL, 'm'},
		{"cpus", required_argument, NULL, 'c'},
		{"cmdline", required_argument, NULL, 'l'},
		{"initrd", required_argument, NULL, 'i'},
		{"disk", required_argument, NULL, 'd'},
		{"disk-ro", no_argument, NULL, 'r'},
		{"console-in", required_argument, NULL, 'I'},
		{"console-out", required_argument, NULL, 'O'},
		{"console-err", required_argument, NULL, 'e'},
		{"timeout", required_argument, NULL, 't'},
		{"stats", no_argument, NULL, 's'},
		{"allow-pvm-linux", no_argument, NULL, 'P'},
		{"pvm-check", no_argument, NULL, 'p'},
		{"no-console", no_argument, NULL, 'n'},
		{"check-leaks", no_argument, NULL, 'L'},
		{"no-eventfds", no_argument, NULL, 'E'},
		{"disk-cow", required_argument, NULL, 'C'},
		{NULL, 0, NULL, 0},
	};
	int o;
	uint64_t v;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'm':
		case 'c':
		case 't':
			if (capsa_parse_u64(optarg, &v) < 0) {
				fprintf(stderr, "vmrun: bad number %s\n", optarg);
				return 125;
			}
			if (o == 'm')
				cfg.mem_mib = v;
			else if (o == 'c')
				cfg.vcpus = (unsigned)v;
			else
				cfg.timeout_ms = v;
			break;
		case 'l':
			cfg.cmdline = optarg;
			break;
		case 'i':
			cfg.initrd = optarg;
			break;
		case 'd':
			cfg.disk = optarg;
			break;
		case 'r':
			cfg.disk_readonly = true;
			break;
		case 'C':
			cfg.disk_cow_dir = optarg;
			break;
		case 'I':
			cfg.console_in_fd = open_or_die(optarg, O_RDONLY);
			break;
		case 'O':
			cfg.console_out_fd = open_or_die(optarg, O_WRONLY | O_CREAT | O_TRUNC);
			break;
		case 'n':
			cfg.console_out_fd = -1;
			break;
		case 'e':
			cfg.console_err_fd = open_or_die(optarg, O_WRONLY | O_CREAT | O_TRUNC);
			break;
		case 's':
			stats = true;
			break;
		case 'E':
			cfg.no_eventfds = true;
			break;
		case 'L':
			check_leaks = true;
			break;
		case 'P':
			cfg.allow_pvm_linux = true;
			break;
		case 'p': {
			struct capsa_error *err = NULL;
			if (capsa_vm_check_linux_host(&err) < 0) {
				printf("%s\n", err->msg);
				capsa_error_free(err);
				return 0;
			}
			return 1;
		}
		default:
			return 125;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: vmrun [options] KERNEL\n");
		return 125;
	}
	cfg.kernel = argv[optind];
	stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (stop_fd < 0) {
		perror("vmrun: eventfd");
		return 125;
	}
	cfg.stop_fd = stop_fd;
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	struct capsa_vm_result res;
	_cleanup_error_ struct capsa_error *err = NULL;
	if (check_leaks) {
		/* The first run pays for one-time setup (the kick signal handler, libc buffers). */
		if (capsa_vm_run(&cfg, &res, &err) == 0)
			capsa_vm_result_free(&res);
		capsa_error_clear(&err);
		int fds = count_dir("/proc/self/fd"), tasks = count_dir("/proc/self/task");
		int maps = count_lines("/proc/self/maps");
		if (capsa_vm_run(&cfg, &res, &err) == 0)
			capsa_vm_result_free(&res);
		capsa_error_clear(&err);
		int fds2 = count_dir("/proc/self/fd"), tasks2 = count_dir("/proc/self/task");
		int maps2 = count_lines("/proc/self/maps");
		fflush(stdout);
		if (fds2 != fds || tasks2 != tasks || maps2 != maps) {
			fprintf(stderr, "vmrun: leaked: fds %d -> %d, threads %d -> %d, mappings %d -> %d\n",
				fds, fds2, tasks, tasks2, maps, maps2);
			return 124;
		}
		fprintf(stderr, "vmrun: no leaks (%d fds, %d threads, %d mappings)\n", fds, tasks, maps);
		return 0;
	}
	if (capsa_vm_run(&cfg, &res, &err) < 0) {
		_cleanup_free_ char *msg = capsa_error_text(err);
		fflush(stdout);
		fprintf(stderr, "vmrun: %s\n", msg);
		return 125;
	}
	fflush(stdout);
	if (stats)
		fprintf(stderr,
			"vmrun: exits total=%llu io=%llu mmio=%llu hlt=%llu shutdown=%llu intr=%llu other=%llu "
			"setup_ms=%.2f run_ms=%.2f maxrss_kib=%ld\n",
			(unsigned long long)res.exits.total, (unsigned long long)res.exits.io,
			(unsigned long long)res.exits.mmio, (unsigned long long)res.exits.hlt,
			(unsigned long long)res.exits.shutdown, (unsigned long long)res.exits.intr,
			(unsigned long long)res.exits.other, res.setup_ns / 1e6, res.run_ns / 1e6,
			maxrss_kib());
	int status;
	int r = capsa_vm_result_status(&res, &status, &err);
	capsa_vm_result_free(&res);
	if (r < 0) {
		_cleanup_free_ char *msg = capsa_error_text(err);
		fprintf(stderr, "vmrun: %s\n", msg);
		return 125;
	}
	return status & 0xff;
}
