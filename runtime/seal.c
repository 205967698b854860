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

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
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

int capsa_ensure_sealed_exe(char **argv, struct capsa_error **err)
{
	if (capsa_exe_is_sealed())
		return 0;
	_cleanup_close_ int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (src < 0)
		return capsa_error_errno(err, "open /proc/self/exe");
	struct stat st;
	if (fstat(src, &st) < 0)
		return capsa_error_errno(err, "stat /proc/self/exe");
	_cleanup_close_ int mfd = memfd_create("capsa-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (mfd < 0 && errno == EINVAL)
		mfd = memfd_create("capsa-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return capsa_error_errno(err, "memfd_create");
	off_t off = 0;
	while (off < st.st_size) {
		ssize_t n = sendfile(mfd, src, &off, (size_t)(st.st_size - off));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return capsa_error_errno(err, "copy the runtime binary into a memfd");
		}
		if (n == 0)
			break;
	}
	if (fcntl(mfd, F_ADD_SEALS, REQUIRED_SEALS) < 0)
		return capsa_error_errno(err, "seal the memfd copy");
	fexecve(mfd, argv, environ);
	return capsa_error_errno(err, "re-execute from the sealed copy");
}
