/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The stdin stream of a micro-VM, from its host process to capsa-vminit over a console (UML's tty3, the KVM
 * backend's hvc0). A console has no end of file: UML hangs its tty up on the host fd's EOF, dropping what
 * the guest has not read yet, and virtio-console just stops. So the end travels in band: ESC ESC is one ESC
 * byte, ESC END the end of stdin; anything after the end is ignored. Header-only: capsa-vminit is a static
 * program built from its own few files.
 */
#ifndef CAPSA_VM_VMSTDIO_H
#define CAPSA_VM_VMSTDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAPSA_VMSTDIO_ESC 0xffu
#define CAPSA_VMSTDIO_END 0x04u

/* out has room for 2 * n bytes; returns how many it holds. */
static inline size_t capsa_vmstdio_encode(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == CAPSA_VMSTDIO_ESC)
			out[o++] = CAPSA_VMSTDIO_ESC;
		out[o++] = in[i];
	}
	return o;
}

/* The end of the stream, as the encoder's last 2 bytes. */
static inline size_t capsa_vmstdio_end(uint8_t out[2])
{
	out[0] = CAPSA_VMSTDIO_ESC;
	out[1] = CAPSA_VMSTDIO_END;
	return 2;
}

struct capsa_vmstdio_dec {
	bool esc; /* the last chunk ended with an ESC */
	bool end;
};

/*
 * Decodes n bytes into out (room for n bytes), *out_n set to how many; an ESC split across chunks is kept
 * in d. Returns 1 once the end is seen (the bytes before it are in out), 0 for more to come, -1 for an ESC
 * followed by anything else (a stream that is not ours: the caller treats it as the end).
 */
static inline int capsa_vmstdio_decode(struct capsa_vmstdio_dec *d, const uint8_t *in, size_t n, uint8_t *out,
				       size_t *out_n)
{
	size_t o = 0;
	*out_n = 0;
	if (d->end)
		return 1;
	for (size_t i = 0; i < n; i++) {
		if (!d->esc) {
			if (in[i] == CAPSA_VMSTDIO_ESC)
				d->esc = true;
			else
				out[o++] = in[i];
			continue;
		}
		d->esc = false;
		if (in[i] == CAPSA_VMSTDIO_ESC) {
			out[o++] = in[i];
		} else if (in[i] == CAPSA_VMSTDIO_END) {
			d->end = true;
			*out_n = o;
			return 1;
		} else {
			*out_n = o;
			return -1;
		}
	}
	*out_n = o;
	return 0;
}

#endif
