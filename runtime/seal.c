/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The runtime binary must never be writable from a container (CVE-2019-5736):
 * a container process could otherwise open /proc/<runtime pid>/exe while the
 * runtime joins it, or exec /proc/self/exe through a planted #! script, and
 * later write the host binary through that fd. We re-execute from a sealed
 * memfd copy: the container can see that copy but never change it.
 */
#define _GNU_SOURCE
#include "runtime/internal.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: an executable memfd even where memfd_noexec is set */
#endif

#define REQUIRED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

bool capsa_exe_is_sealed(void)
{
	_cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	int seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & REQUIRED_SEALS) == REQUIRED_SEALS;
}

uint64_t capsa_elf_exec_size(const void *head, size_t head_len, uint64_t file_size)
{
	Elf64_Ehdr eh;
	if (head_len < sizeof(eh))
		return file_size;
	memcpy(&eh, head, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum >= PN_XNUM ||
	    eh.e_phoff > head_len || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > head_len - eh.e_phoff)
		return file_size;
	uint64_t end = eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr);
	bool any = false;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, (const char *)head + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		/* What the kernel and ld.so read: the loaded segments and the headers; PT_INTERP, notes,
		 * dynamic and eh_frame live inside them, but take every segment's bytes to be sure. */
		if (ph.p_filesz == 0)
			continue;
		if (ph.p_offset > file_size || ph.p_filesz > file_size - ph.p_offset)
			return file_size;
		if (ph.p_offset + ph.p_filesz > end)
			end = ph.p_offset + ph.p_filesz;
		any |= ph.p_type == PT_LOAD;
	}
	return any && end <= file_size ? end : file_size;
}

int capsa_sealed_copy(int src, const char *name, struct capsa_error **err)
{
	struct stat st;
	if (fstat(src, &st) < 0)
		return capsa_error_errno(err, "stat the binary to seal");
	_cleanup_close_ int mfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (mfd < 0 && errno == EINVAL)
		mfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return capsa_error_errno(err, "memfd_create");
	uint64_t len = (uint64_t)st.st_size;
	unsigned char head[4096];
	ssize_t hn = pread(src, head, sizeof(head), 0);
#ifndef __SANITIZE_ADDRESS__
	/* Only what is executed: the debugging sections (most of a -g build) stay behind, which saves
	 * copying and memory per container. Sanitizer builds keep them to symbolize their reports. */
	if (hn > 0)
		len = capsa_elf_exec_size(head, (size_t)hn, len);
#endif
	off_t off = 0;
	while ((uint64_t)off < len) {
		ssize_t n = sendfile(mfd, src, &off, (size_t)(len - (uint64_t)off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return capsa_error_errno(err, "copy the binary into a memfd");
		if (n == 0)
			return capsa_error_set(err, EIO, "copy the binary into a memfd: it shrank");
	}
	if (len < (uint64_t)st.st_size && hn >= (ssize_t)sizeof(Elf64_Ehdr)) {
		/* The section headers were cut off with the debugging sections: say there are none. */
		Elf64_Ehdr eh;
		memcpy(&eh, head, sizeof(eh));
		eh.e_shoff = 0;
		eh.e_shnum = 0;
		eh.e_shstrndx = SHN_UNDEF;
		if (pwrite(mfd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
			return capsa_error_errno(err, "rewrite the ELF header of the memfd copy");
	}
	if (fcntl(mfd, F_ADD_SEALS, REQUIRED_SEALS) < 0)
		return capsa_error_errno(err, "seal the memfd copy");
	return TAKE_FD(mfd);
}

int capsa_ensure_sealed_exe(char **argv, struct capsa_error **err)
{
	if (capsa_exe_is_sealed())
		return 0;
	_cleanup_close_ int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (src < 0)
		return capsa_error_errno(err, "open /proc/self/exe");
	_cleanup_close_ int mfd = capsa_sealed_copy(src, "capsa-runtime", err);
	if (mfd < 0)
		return -1;
	fexecve(mfd, argv, environ);
	return capsa_error_errno(err, "re-execute from the sealed copy");
}
