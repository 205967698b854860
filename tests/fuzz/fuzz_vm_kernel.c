/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the VMM's kernel image parsers (bzImage setup header, ELF64 program headers and
 * notes): any file the user names as a kernel must be refused or loaded strictly inside guest memory. Build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_vm_kernel.c build/libcapsa.a
 * -lpthread
 */
#include "vm/internal.h"
#include "common/cleanup.h"

#include <stdint.h>
#include <string.h>

#define MEM_SIZE (32u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *mem;
	if (!mem)
		mem = xzalloc(MEM_SIZE);
	/* An exact copy: reads past the image's end hit ASan's redzone. */
	uint8_t *img = xmalloc(size ? size : 1);
	memcpy(img, data, size);
	struct vm_mem m = {.base = mem, .size = MEM_SIZE};
	struct vm_kernel k;
	struct capsa_error *err = NULL;
	if (vm_kernel_load(&m, img, size, &k, &err) == 0) {
		if (!vm_mem_ptr(&m, k.entry, 1) && !k.bzimage)
			__builtin_trap();
		uint8_t zp[4096];
		struct vm_boot_info info = {
			.cmdline_addr = 0x20000, .cmdline_size = 10, .mem_size = MEM_SIZE};
		if (vm_boot_params_build(zp, k.bzimage ? k.setup_hdr : NULL, k.setup_hdr_len, &info, &err) <
			    0 &&
		    !k.bzimage)
			__builtin_trap();
	}
	capsa_error_clear(&err);
	free(img);
	return 0;
}
