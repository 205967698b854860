/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What this host's KVM can do. PVM (the kvm_pvm module) is KVM without VT-x/AMD-V: guest user mode runs
 * natively but guest kernel code is emulated one instruction at a time, so a Linux guest crawls and an
 * ordinary kernel never reaches user space. Say so up front instead of letting a boot hang.
 */
#include "vm/vm.h"
#include "common/cleanup.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool cpu_has_hw_virt(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return false;
	char line[8192];
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		for (char *tok = strtok(line, " \t\n"); tok; tok = strtok(NULL, " \t\n"))
			if (strcmp(tok, "vmx") == 0 || strcmp(tok, "svm") == 0)
				return true;
		return false;
	}
	return false;
}

bool capsa_vm_host_is_pvm(void)
{
	if (access("/sys/module/kvm_pvm", F_OK) == 0)
		return true;
	/* kvm_intel/kvm_amd need the CPU flag; /dev/kvm without it is a software hypervisor. */
	return access("/dev/kvm", F_OK) == 0 && !cpu_has_hw_virt();
}

int capsa_vm_check_linux_host(struct capsa_error **err)
{
	if (access("/dev/kvm", R_OK | W_OK) < 0)
		return capsa_error_errno(err, "/dev/kvm");
	if (capsa_vm_host_is_pvm())
		return capsa_error_set(
			err, 0,
			"this host's KVM is PVM software virtualisation; Linux guests need hardware "
			"VT-x/AMD-V (or a PVM guest kernel)");
	return 0;
}
