/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the VMM's virtqueue parser: the input is a guest's view of a queue (size, indexes,
 * then the bytes of guest memory holding the descriptor table and both rings). Whatever the guest wrote, the
 * device must not read or write outside guest memory, must not loop, and must report a broken queue as one.
 * Build, e.g.:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_vm_virtqueue.c build/libcapsa.a \
 *         -lpthread
 */
#include "vm/internal.h"
#include "common/cleanup.h"

#include <stdint.h>
#include <string.h>

#define MEM_SIZE 0x4000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8)
		return 0;
	/* Exactly-sized memory: ASan catches any access past its end. */
	uint8_t *mem = xzalloc(MEM_SIZE);
	memcpy(mem, data + 8, size - 8 < MEM_SIZE ? size - 8 : MEM_SIZE);
	struct vm_mem m = {.base = mem, .size = MEM_SIZE};
	struct virtq q = {
		.num = (uint16_t)(1u << (data[0] % 10)), /* 1..512: 512 must be refused by validate */
		.desc = (uint64_t)(data[1] & 0x3f) << 8,
		.avail = (uint64_t)(data[2] & 0x3f) << 8 | (data[2] >> 7),
		.used = (uint64_t)(data[3] & 0x3f) << 8,
	};
	memcpy(&q.last_avail, data + 4, 2);
	memcpy(&q.used_idx, data + 6, 2);
	struct capsa_error *err = NULL;
	if (virtq_validate(&q, &m, &err) < 0) {
		capsa_error_clear(&err);
		free(mem);
		return 0;
	}
	q.ready = true;
	struct virtq_chain *c = xmalloc(sizeof(*c));
	for (int i = 0; i < 3 * VIRTQ_MAX_SIZE; i++) {
		int r = virtq_pop(&q, &m, c, &err);
		if (r < 0) {
			if (!q.broken || !err)
				__builtin_trap();
			capsa_error_clear(&err);
			if (virtq_pop(&q, &m, c, &err) != -1) /* a broken queue stays broken */
				__builtin_trap();
			capsa_error_clear(&err);
			break;
		}
		if (r == 0)
			break;
		if (c->n == 0 || c->n > q.num || c->head >= q.num)
			__builtin_trap();
		uint64_t in = 0, out = 0;
		for (unsigned k = 0; k < c->n; k++) {
			const struct virtq_iov *v = &c->iov[k];
			if (v->ptr < mem || v->ptr + v->len > mem + MEM_SIZE)
				__builtin_trap();
			*(v->write ? &in : &out) += v->len;
			if (v->len) /* touch both ends: ASan checks the range is real memory */
				v->ptr[0] ^= v->ptr[v->len - 1];
		}
		if (in != c->in_len || out != c->out_len)
			__builtin_trap();
		uint8_t buf[64];
		virtq_chain_read(c, out / 2, buf, sizeof(buf));
		virtq_chain_write(c, in / 2, buf, sizeof(buf));
		if (virtq_push(&q, &m, c->head, (uint32_t)in, &err) < 0)
			__builtin_trap(); /* validate checked the used ring */
	}
	capsa_error_clear(&err);
	free(c);
	free(mem);
	return 0;
}
