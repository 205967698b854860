/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VMM's split virtqueue: chains, wrap-around, and a hostile guest's descriptors. */
#include "tap.h"
#include "vm/internal.h"
#include "common/cleanup.h"

#include <errno.h>
#include <stdlib.h>

#define MEM_SIZE 0x10000
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000

static uint8_t *mem;
static struct vm_mem m;

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
} __attribute__((packed));

static struct desc *desc(unsigned i)
{
	return (struct desc *)(mem + DESC) + i;
}

static uint16_t *avail_idx(void)
{
	return (uint16_t *)(mem + AVAIL + 2);
}

static void post(uint16_t head, unsigned num)
{
	uint16_t idx = *avail_idx();
	((uint16_t *)(mem + AVAIL + 4))[idx % num] = head;
	*avail_idx() = idx + 1;
}

static struct virtq fresh(uint16_t num)
{
	memset(mem, 0, MEM_SIZE);
	return (struct virtq){.num = num, .ready = true, .desc = DESC, .avail = AVAIL, .used = USED};
}

static void test_validate(void)
{
	struct virtq q = fresh(8);
	struct capsa_error *err = NULL;
	ok(virtq_validate(&q, &m, &err) == 0, "a well-placed queue of 8 is valid");
	uint16_t bad_num[] = {0, 3, 100, 512};
	for (size_t i = 0; i < ARRAY_SIZE(bad_num); i++) {
		q = fresh(bad_num[i]);
		ok(virtq_validate(&q, &m, &err) < 0 && err->errnum == EINVAL, "queue size %u rejected",
		   bad_num[i]);
		capsa_error_clear(&err);
	}
	q = fresh(8);
	q.desc = DESC + 8;
	ok(virtq_validate(&q, &m, &err) < 0, "misaligned descriptor table rejected");
	capsa_error_clear(&err);
	q = fresh(8);
	q.used = MEM_SIZE - 8;
	ok(virtq_validate(&q, &m, &err) < 0 && strstr(err->msg, "used ring"),
	   "used ring past the end rejected: %s", err ? err->msg : "");
	capsa_error_clear(&err);
	q = fresh(8);
	q.avail = UINT64_MAX - 1;
	ok(virtq_validate(&q, &m, &err) < 0, "available ring address that wraps rejected");
	capsa_error_clear(&err);
}

static void test_chain(void)
{
	struct virtq q = fresh(8);
	struct virtq_chain *c = xzalloc(sizeof(*c));
	struct capsa_error *err = NULL;
	is_int(virtq_pop(&q, &m, c, &err), 0, "empty queue pops nothing");

	/* header (readable 16) -> data (writable 512) -> status (writable 1), starting at descriptor 5 */
	*desc(5) = (struct desc){.addr = 0x4000, .len = 16, .flags = VIRTQ_DESC_F_NEXT, .next = 2};
	*desc(2) = (struct desc){
		.addr = 0x5000, .len = 512, .flags = VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, .next = 7};
	*desc(7) = (struct desc){.addr = 0x6000, .len = 1, .flags = VIRTQ_DESC_F_WRITE};
	memcpy(mem + 0x4000, "0123456789abcdef", 16);
	post(5, 8);
	is_int(virtq_pop(&q, &m, c, &err), 1, "a chain of three is taken");
	is_int(c->head, 5, "head is 5");
	is_int(c->n, 3, "three buffers");
	is_int(c->out_len, 16, "16 readable bytes");
	is_int(c->in_len, 513, "513 writable bytes");
	ok(c->iov[0].ptr == mem + 0x4000 && !c->iov[0].write && c->iov[1].write,
	   "buffers point into guest memory");
	char buf[8];
	is_int(virtq_chain_read(c, 10, buf, sizeof(buf)), 6, "a read at offset 10 stops at the readable end");
	ok(memcmp(buf, "abcdef", 6) == 0, "and returns the right bytes");
	uint8_t data[600];
	memset(data, 0x5a, sizeof(data));
	is_int(virtq_chain_write(c, 0, data, sizeof(data)), 513,
	       "a write fills every writable buffer and stops");
	ok(mem[0x6000] == 0x5a && mem[0x5000 + 511] == 0x5a && mem[0x5000 + 512] == 0,
	   "across the buffer boundary");
	is_int(virtq_pop(&q, &m, c, &err), 0, "nothing more");
	ok(virtq_push(&q, &m, c->head, 513, &err) == 0, "push");
	uint16_t used_idx;
	uint32_t elem[2];
	memcpy(&used_idx, mem + USED + 2, 2);
	memcpy(elem, mem + USED + 4, 8);
	ok(used_idx == 1 && elem[0] == 5 && elem[1] == 513, "used ring holds {5, 513} and index 1");
	ok(virtq_need_irq(&q, &m), "the driver wants interrupts by default");
	*(uint16_t *)(mem + AVAIL) = 1;
	ok(!virtq_need_irq(&q, &m), "VIRTQ_AVAIL_F_NO_INTERRUPT is honoured");
	free(c);
}

static void test_wraparound(void)
{
	struct virtq q = fresh(4);
	struct virtq_chain *c = xzalloc(sizeof(*c));
	struct capsa_error *err = NULL;
	/* Indexes are free-running 16-bit counters: start just below the wrap. */
	q.last_avail = q.used_idx = 65533;
	*avail_idx() = 65533;
	*(uint16_t *)(mem + USED + 2) = 65533;
	int good = 0;
	for (unsigned i = 0; i < 10; i++) {
		unsigned d = i % 4;
		*desc(d) = (struct desc){.addr = 0x8000 + 16 * d, .len = 16, .flags = VIRTQ_DESC_F_WRITE};
		post((uint16_t)d, 4);
		if (virtq_pop(&q, &m, c, &err) == 1 && c->head == d &&
		    virtq_push(&q, &m, c->head, 16, &err) == 0)
			good++;
	}
	is_int(good, 10, "ten chains go through while the indexes wrap past 65535");
	is_int(q.last_avail, 7, "last_avail wrapped to 7");
	uint16_t used_idx;
	memcpy(&used_idx, mem + USED + 2, 2);
	is_int(used_idx, 7, "used index wrapped to 7");
	/* Several pending at once across the wrap. */
	for (unsigned d = 0; d < 4; d++)
		post((uint16_t)d, 4);
	int n = 0;
	while (virtq_pop(&q, &m, c, &err) == 1)
		n++;
	is_int(n, 4, "a full ring of 4 pending chains is taken");
	free(c);
}

static void hostile(const char *what, void (*setup)(struct virtq *q), const char *msg_part)
{
	struct virtq q = fresh(8);
	struct virtq_chain *c = xzalloc(sizeof(*c));
	struct capsa_error *err = NULL;
	*desc(0) = (struct desc){.addr = 0x4000, .len = 16, .flags = VIRTQ_DESC_F_NEXT, .next = 1};
	*desc(1) = (struct desc){.addr = 0x5000, .len = 1, .flags = VIRTQ_DESC_F_WRITE};
	post(0, 8);
	setup(&q);
	int r = virtq_pop(&q, &m, c, &err);
	ok(r == -1 && q.broken && err && strstr(err->msg, msg_part), "%s: refused (%s)", what,
	   err ? err->msg : "no error");
	capsa_error_clear(&err);
	ok(virtq_pop(&q, &m, c, &err) == -1, "%s: the queue stays dead", what);
	capsa_error_clear(&err);
	free(c);
}

static void head_out_of_range(struct virtq *q)
{
	((uint16_t *)(mem + AVAIL + 4))[0] = 8;
}

static void next_out_of_range(struct virtq *q)
{
	desc(0)->next = 0xffff;
}

static void outside_memory(struct virtq *q)
{
	desc(1)->addr = MEM_SIZE - 1;
	desc(1)->len = 2;
}

static void address_wraps(struct virtq *q)
{
	desc(1)->addr = UINT64_MAX - 3;
	desc(1)->len = 16;
}

static void loop(struct virtq *q)
{
	desc(1)->flags = VIRTQ_DESC_F_NEXT;
	desc(1)->next = 0;
}

static void self_loop(struct virtq *q)
{
	desc(0)->next = 0;
}

static void index_jump(struct virtq *q)
{
	*avail_idx() = 9;
}

static void indirect(struct virtq *q)
{
	desc(0)->flags |= VIRTQ_DESC_F_INDIRECT;
}

static void read_after_write(struct virtq *q)
{
	desc(0)->flags |= VIRTQ_DESC_F_WRITE;
	desc(1)->flags = 0;
}

static void test_hostile(void)
{
	hostile("head index 8 in a queue of 8", head_out_of_range, "head descriptor 8");
	hostile("next index 65535", next_out_of_range, "next 65535");
	hostile("buffer crossing the end of RAM", outside_memory, "outside guest memory");
	hostile("buffer address that wraps", address_wraps, "outside guest memory");
	hostile("two-descriptor loop", loop, "loop");
	hostile("descriptor pointing at itself", self_loop, "loop");
	hostile("available index 9 ahead", index_jump, "moved by 9");
	hostile("indirect descriptor not negotiated", indirect, "indirect");
	hostile("readable after writable", read_after_write, "after a writable");

	struct virtq q = fresh(8);
	q.used = MEM_SIZE + 0x1000;
	struct capsa_error *err = NULL;
	ok(virtq_push(&q, &m, 0, 0, &err) < 0 && q.broken, "push to a used ring outside RAM is refused");
	capsa_error_clear(&err);
}

/* Random descriptor tables and indexes: nothing may crash, and every buffer handed out lies in guest RAM. */
static void test_random(void)
{
	struct virtq_chain *c = xzalloc(sizeof(*c));
	uint64_t s = 0x9e3779b97f4a7c15ull;
	int bad = 0, taken = 0, refused = 0;
	for (int iter = 0; iter < 20000; iter++) {
		struct virtq q = fresh(16);
		uint8_t *p = mem + DESC;
		for (int i = 0; i < 16 * 16 + 64; i++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			p[i] = (uint8_t)s;
		}
		/* Keep addresses plausible half the time so that some chains are accepted. */
		for (int i = 0; i < 16 && (iter & 1); i++) {
			desc(i)->addr &= 0xffff;
			desc(i)->len &= 0xff;
			desc(i)->next &= 0x1f;
			desc(i)->flags &= 3;
		}
		uint8_t *a = mem + AVAIL;
		for (int i = 0; i < 40; i++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			a[i] = (uint8_t)s;
		}
		if (iter & 2)
			*avail_idx() &= 7;
		for (int i = 0; i < 16 && (iter & 1); i++)
			((uint16_t *)(a + 4))[i] &= 0x1f;
		struct capsa_error *err = NULL;
		for (int k = 0; k < 20; k++) {
			int r = virtq_pop(&q, &m, c, &err);
			if (r <= 0) {
				refused += r < 0;
				break;
			}
			taken++;
			for (unsigned i = 0; i < c->n; i++)
				if (c->iov[i].ptr < mem || c->iov[i].ptr + c->iov[i].len > mem + MEM_SIZE)
					bad++;
		}
		capsa_error_clear(&err);
	}
	is_int(bad, 0, "20000 random queues: no buffer outside guest RAM (%d chains taken, %d refused)",
	       taken, refused);
	ok(taken > 0 && refused > 0, "both outcomes were exercised");
	free(c);
}

int main(void)
{
	mem = xzalloc(MEM_SIZE);
	m = (struct vm_mem){.base = mem, .size = MEM_SIZE};
	test_validate();
	test_chain();
	test_wraparound();
	test_hostile();
	test_random();
	free(mem);
	return tap_done();
}
