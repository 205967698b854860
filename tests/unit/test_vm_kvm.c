/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The KVM backend's pure logic (engine/vm_kvm.c): the guest kernel's command line with the VMM's
 * virtio-mmio announcements, the kernel lookup and its errors, vCPUs from --cpus, the backend choice's
 * errors; and a regression input for the config disk decoder that fuzz_vm_vmconfig found.
 */
#define _GNU_SOURCE
#include "common/cleanup.h"
#include "common/util.h"
#include "engine/engine.h"
#include "engine/vm_kvm.h"
#include "tap.h"
#include "vm/internal.h"
#include "vm/vmconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int has_word(const char *line, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = line; (p = strstr(p, word)) != NULL; p += n)
		if ((p == line || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

static void test_cmdline(void)
{
	_cleanup_free_ char *q = engine_vm_kvm_cmdline(true);
	_cleanup_free_ char *loud = engine_vm_kvm_cmdline(false);
	ok(has_word(q, "console=ttyS0"), "kernel messages on the UART (ttyS0)");
	ok(has_word(q, "root=/dev/vda") && has_word(q, "rw") && !has_word(q, "ro") &&
		   has_word(q, "rootfstype=ext4"),
	   "root is the image's disk vda, writable (the VMM makes it copy-on-write), ext4 (no probing)");
	ok(has_word(q, "init=/capsa-vminit"), "init is capsa-vminit");
	ok(has_word(q, "panic=-1"), "a panic reboots at once (the VMM reports it) instead of spinning");
	ok(has_word(q, "quiet") && has_word(q, "loglevel=4"), "quiet: fewer UART exits");
	ok(!has_word(loud, "quiet") && !strstr(loud, "loglevel"), "not quiet when asked");
	ok(strstr(q, "virtio_mmio") == NULL, "the VMM, not the engine, announces the devices");
	ok(strlen(q) < 256, "the command line is short (%zu bytes)", strlen(q));
	ok(strchr(q, '\n') == NULL && q[strlen(q) - 1] != ' ', "one line, no trailing blank");

	/* The devices the VMM appends, in registration order: vda, vdb, hvc0. */
	const char *want[] = {"virtio_mmio.device=4K@0xd0000000:5", "virtio_mmio.device=4K@0xd0001000:6",
			      "virtio_mmio.device=4K@0xd0002000:7"};
	for (unsigned i = 0; i < 3; i++) {
		_cleanup_free_ char *d = virtio_mmio_cmdline(i);
		is_str(d, want[i], "virtio-mmio device %u: 4 KiB window and its IRQ", i);
	}
	_cleanup_free_ char *d15 = virtio_mmio_cmdline(15);
	is_str(d15, "virtio_mmio.device=4K@0xd000f000:20", "the 16th device's window and IRQ");
}

static char *tmpdir;

static void touch(const char *path, mode_t mode)
{
	FILE *f = fopen(path, "we");
	if (f) {
		fputs("x", f);
		fclose(f);
	}
	chmod(path, mode);
}

static void test_kernel_lookup(void)
{
	struct capsa_error *err = NULL;
	char *out = NULL;
	_cleanup_free_ char *bin = xasprintf("%s/bin", tmpdir);
	_cleanup_free_ char *built_dir = xasprintf("%s/bin/vm-kernel", tmpdir);
	_cleanup_free_ char *built = xasprintf("%s/bin/vm-kernel/vmlinux", tmpdir);
	_cleanup_free_ char *lib = xasprintf("%s/lib/capsa", tmpdir);
	_cleanup_free_ char *inst = xasprintf("%s/lib/capsa/vmlinux", tmpdir);
	mkdir(bin, 0700);

	is_int(engine_vm_kvm_kernel(NULL, bin, &out, &err), -1, "no kernel anywhere: an error");
	ok(err && strstr(err->msg, built) && strstr(err->msg, "bin/../lib/capsa/vmlinux") &&
		   strstr(err->msg, "make vm-kernel") && strstr(err->msg, "--kernel PATH"),
	   "the error names both places and how to get a kernel: %s", err ? err->msg : "");
	capsa_error_clear(&err);

	char mk[4096];
	snprintf(mk, sizeof(mk), "%s/lib", tmpdir);
	mkdir(mk, 0700);
	mkdir(lib, 0700);
	touch(inst, 0644);
	is_int(engine_vm_kvm_kernel(NULL, bin, &out, &err), 0, "an installed kernel is found");
	ok(out && strcmp(out, inst) != 0 && strstr(out, "/bin/../lib/capsa/vmlinux"),
	   "PREFIX/bin/../lib/capsa/vmlinux: %s", out ? out : "");
	free(out);
	out = NULL;

	mkdir(built_dir, 0700);
	touch(built, 0644);
	is_int(engine_vm_kvm_kernel(NULL, bin, &out, &err), 0, "a built kernel is found");
	is_str(out, built, "the build tree's kernel comes first");
	free(out);
	out = NULL;

	is_int(engine_vm_kvm_kernel(inst, bin, &out, &err), 0, "--kernel given");
	is_str(out, inst, "--kernel is used as given");
	free(out);
	out = NULL;

	_cleanup_free_ char *missing = xasprintf("%s/nope", tmpdir);
	is_int(engine_vm_kvm_kernel(missing, bin, &out, &err), -1, "--kernel missing: an error");
	_cleanup_free_ char *want = xasprintf("--kernel: %s", missing);
	is_str(err ? err->msg : NULL, want, "names the path");
	is_int(err ? err->errnum : 0, ENOENT, "and the reason (ENOENT)");
	capsa_error_clear(&err);
	ok(out == NULL, "nothing returned on error");

	is_int(engine_vm_kvm_kernel(lib, bin, &out, &err), -1, "--kernel a directory: an error");
	_cleanup_free_ char *want2 = xasprintf("--kernel: %s: not a regular file", lib);
	is_str(err ? err->msg : NULL, want2, "a directory is no kernel");
	capsa_error_clear(&err);

	is_int(engine_vm_kvm_kernel("", bin, &out, &err), -1, "--kernel '': an error");
	is_str(err ? err->msg : NULL, "--kernel: empty path", "an empty path is refused");
	capsa_error_clear(&err);

	unlink(built);
	rmdir(built_dir);
	unlink(inst);
	rmdir(lib);
	rmdir(mk);
	rmdir(bin);
}

static void test_vcpus(void)
{
	is_int(engine_vm_kvm_vcpus(0), 1, "--cpus unset: 1 vCPU");
	is_int(engine_vm_kvm_vcpus(-5), 1, "negative: 1 vCPU");
	is_int(engine_vm_kvm_vcpus(500000000), 1, "--cpus 0.5: 1 vCPU");
	is_int(engine_vm_kvm_vcpus(1000000000), 1, "--cpus 1: 1 vCPU");
	is_int(engine_vm_kvm_vcpus(1000000001), 2, "just over 1 CPU: 2 vCPUs");
	is_int(engine_vm_kvm_vcpus(4000000000LL), 4, "--cpus 4: 4 vCPUs");
	is_int(engine_vm_kvm_vcpus(1000LL * 1000000000LL), 64, "--cpus 1000: at most 64 vCPUs");
}

static void test_choose(void)
{
	struct capsa_error *err = NULL;
	char *k = (char *)"unchanged";
	struct capsa_run_opts o = {.vm = true, .hypervisor = "uml"};
	is_int(engine_vm_kvm_choose(&o, &k, &err), 0, "--hypervisor uml: UML");
	ok(k == NULL && err == NULL, "no kernel, no error");

	unsetenv("CAPSA_VM_ALLOW_PVM");
	ok(!engine_vm_kvm_allow_pvm(), "the PVM switch is off by default");
	setenv("CAPSA_VM_ALLOW_PVM", "yes", 1);
	ok(!engine_vm_kvm_allow_pvm(), "only CAPSA_VM_ALLOW_PVM=1 turns it on");
	setenv("CAPSA_VM_ALLOW_PVM", "1", 1);
	ok(engine_vm_kvm_allow_pvm(), "CAPSA_VM_ALLOW_PVM=1");
	unsetenv("CAPSA_VM_ALLOW_PVM");

	if (!capsa_vm_host_is_pvm()) {
		ok(1, "# SKIP this host is not PVM");
		ok(1, "# SKIP this host is not PVM");
		return;
	}
	struct capsa_run_opts kvm = {.vm = true, .hypervisor = "kvm"};
	is_int(engine_vm_kvm_choose(&kvm, &k, &err), -1, "--hypervisor kvm on PVM: an error");
	is_str(err ? err->msg : NULL,
	       "--hypervisor kvm: this host's KVM is PVM software virtualisation; Linux guests need hardware "
	       "VT-x/AMD-V (or a PVM guest kernel)",
	       "the issue's message");
	capsa_error_clear(&err);
	struct capsa_run_opts plain = {.vm = true};
	is_int(engine_vm_kvm_choose(&plain, &k, &err), 0, "plain --vm on PVM: UML");
	ok(k == NULL && err == NULL, "no kernel, no error");
}

static void test_mac(void)
{
	uint8_t a[6], b[6], a2[6];
	engine_vm_kvm_mac("0123456789ab", a);
	engine_vm_kvm_mac("0123456789ac", b);
	engine_vm_kvm_mac("0123456789ab", a2);
	ok(a[0] == 0x02 && a[1] == 0xca && a[2] == 0x95,
	   "MAC prefix 02:ca:95 (locally administered, unicast)");
	ok(memcmp(a, a2, 6) == 0, "the same id gives the same MAC (a restart keeps it)");
	ok(memcmp(a, b, 6) != 0, "ids one character apart give different MACs");
	uint64_t h = capsa_fnv1a64("0123456789ab", 12);
	ok(a[3] == (uint8_t)(h >> 16) && a[4] == (uint8_t)(h >> 8) && a[5] == (uint8_t)h,
	   "the last three bytes are the id's FNV-1a");
}

/* fuzz_vm_vmconfig's find: a NUL tag as the block's last byte has no value; the decoder read past it. */
static void test_vmconfig_regression(void)
{
	static const char blk[] = "CAPSAVM1\x18\x00\x00\x00"
				  "aecho\0ahi\0ePATH=/bin\0a\0\0";
	char *exact = malloc(sizeof(blk) - 1);
	memcpy(exact, blk, sizeof(blk) - 1);
	struct capsa_vmcfg c;
	const char *why = NULL;
	is_int(capsa_vmcfg_decode(exact, sizeof(blk) - 1, &c, &why), -1, "a NUL tag at the end: refused");
	is_str(why, "the config's last record has no value", "with the reason");
	free(exact);
}

int main(void)
{
	char tmpl[] = "/tmp/capsa-test-vmkvm-unit-XXXXXX";
	tmpdir = mkdtemp(tmpl);
	if (!tmpdir) {
		perror("mkdtemp");
		return 1;
	}
	test_cmdline();
	test_kernel_lookup();
	test_vcpus();
	test_mac();
	test_choose();
	test_vmconfig_regression();
	rmdir(tmpdir);
	return tap_done();
}
