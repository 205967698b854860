/* SPDX-License-Identifier: GPL-2.0-or-later */
/* runtime/seal.c: the sealed memfd copy of a binary, and how much of an ELF file it needs. */
#define _GNU_SOURCE
#include "tap.h"
#include "runtime/runtime.h"
#include "common/cleanup.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* An ELF64 header followed by n program headers, in buf. */
static size_t build(unsigned char *buf, const Elf64_Phdr *ph, unsigned n)
{
	Elf64_Ehdr eh = {.e_phoff = sizeof(Elf64_Ehdr),
			 .e_phentsize = sizeof(Elf64_Phdr),
			 .e_phnum = (Elf64_Half)n,
			 .e_shoff = 900000,
			 .e_shnum = 30};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), ph, n * sizeof(*ph));
	return sizeof(eh) + n * sizeof(*ph);
}

static void test_size(void)
{
	unsigned char buf[4096] = {0};
	Elf64_Phdr ph[3] = {
		{.p_type = PT_LOAD, .p_offset = 0, .p_filesz = 0x3000},
		{.p_type = PT_LOAD, .p_offset = 0x3000, .p_filesz = 0x1234},
		{.p_type = PT_NOTE, .p_offset = 0x200, .p_filesz = 0x40},
	};
	size_t n = build(buf, ph, 3);
	is_int((long)capsa_elf_exec_size(buf, n, 1000000), 0x4234, "the end of the last loaded segment");
	ph[2] = (Elf64_Phdr){.p_type = PT_GNU_EH_FRAME, .p_offset = 0x5000, .p_filesz = 0x10};
	n = build(buf, ph, 3);
	is_int((long)capsa_elf_exec_size(buf, n, 1000000), 0x5010, "any segment's bytes are kept");
	ph[2] = (Elf64_Phdr){.p_type = PT_GNU_STACK};
	n = build(buf, ph, 3);
	is_int((long)capsa_elf_exec_size(buf, n, 0x4234), 0x4234, "a file that is all segments: all of it");

	/* What it does not understand, or what does not add up, is copied whole. */
	is_int((long)capsa_elf_exec_size(buf, 10, 777), 777, "a short head");
	is_int((long)capsa_elf_exec_size("#!/bin/sh\n", 10, 777), 777, "not ELF");
	unsigned char b2[4096];
	memcpy(b2, buf, sizeof(b2));
	b2[EI_CLASS] = ELFCLASS32;
	is_int((long)capsa_elf_exec_size(b2, n, 777777), 777777, "ELF32");
	ph[1].p_filesz = 2000000;
	n = build(buf, ph, 3);
	is_int((long)capsa_elf_exec_size(buf, n, 1000000), 1000000, "a segment past the end of the file");
	ph[1] = (Elf64_Phdr){.p_type = PT_LOAD, .p_offset = UINT64_MAX - 4, .p_filesz = 0x10};
	n = build(buf, ph, 3);
	is_int((long)capsa_elf_exec_size(buf, n, 1000000), 1000000, "an offset that overflows");
	ph[1] = (Elf64_Phdr){.p_type = PT_LOAD, .p_offset = 0x3000, .p_filesz = 0x1234};
	n = build(buf, ph, 3);
	is_int((long)capsa_elf_exec_size(buf, n - 10, 1000000), 1000000, "program headers cut short");
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	eh->e_phoff = 5000;
	is_int((long)capsa_elf_exec_size(buf, sizeof(buf), 1000000), 1000000,
	       "program headers out of the head");
	n = build(buf, ph, 3);
	eh->e_phnum = 0xffff;
	is_int((long)capsa_elf_exec_size(buf, sizeof(buf), 1000000), 1000000, "PN_XNUM program headers");
	Elf64_Phdr none[1] = {{.p_type = PT_NOTE, .p_offset = 0x100, .p_filesz = 8}};
	n = build(buf, none, 1);
	is_int((long)capsa_elf_exec_size(buf, n, 1000000), 1000000, "no loaded segment");
}

/* The copy of this very test program: sealed, smaller when built with -g, and it still runs. */
static void test_copy(char *self)
{
	_cleanup_close_ int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct stat st, mst;
	struct capsa_error *err = NULL;
	ok(src >= 0 && fstat(src, &st) == 0, "open this program");
	_cleanup_close_ int mfd = capsa_sealed_copy(src, "capsa-test-seal", &err);
	ok(mfd >= 0, "sealed copy made");
	if (mfd < 0) {
		capsa_error_free(err);
		return;
	}
	int seals = fcntl(mfd, F_GET_SEALS);
	ok(seals >= 0 && (seals & (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL)) ==
				 (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL),
	   "write, grow, shrink and seal are sealed");
	ok(write(mfd, "x", 1) < 0 && errno == EPERM, "the copy cannot be written");
	ok(fstat(mfd, &mst) == 0, "stat the copy");
#ifdef __SANITIZE_ADDRESS__
	is_int((long)mst.st_size, (long)st.st_size, "sanitizer build: the whole binary (for symbols)");
#else
	ok(mst.st_size < st.st_size, "only the part that runs: %lld of %lld bytes", (long long)mst.st_size,
	   (long long)st.st_size);
	Elf64_Ehdr eh;
	ok(pread(mfd, &eh, sizeof(eh), 0) == sizeof(eh) && eh.e_shoff == 0 && eh.e_shnum == 0,
	   "the cut-off section headers are not pointed at");
#endif
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = {self, "--child", NULL};
		fexecve(mfd, argv, environ);
		_exit(99);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 42, "the copy runs (exit %d)",
	   WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	_cleanup_close_ int text = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int copy2 = capsa_sealed_copy(text, "capsa-test-seal", &err);
	ok(copy2 >= 0, "a file that is not ELF is copied whole");
	capsa_error_free(err);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--child") == 0)
		return 42;
	test_size();
	test_copy(argv[0]);
	return tap_done();
}
