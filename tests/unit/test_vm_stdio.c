/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A micro-VM's stdin stream (vm/vmstdio.h): every byte survives the round trip however the stream is cut
 * into reads (an escape split across two reads among them), the end is seen once and nothing after it
 * counts, and a stream that is not ours (an escape before anything else) is refused.
 */
#define _GNU_SOURCE
#include "vm/vmstdio.h"
#include "tests/unit/tap.h"

#include <stdlib.h>
#include <string.h>

/* Decodes enc (n bytes) in reads of at most chunk bytes into out; the last return and the length. */
static int decode_in_chunks(const uint8_t *enc, size_t n, size_t chunk, uint8_t *out, size_t *len)
{
	struct capsa_vmstdio_dec d = {0};
	int r = 0;
	*len = 0;
	for (size_t off = 0; off < n && r == 0; off += chunk) {
		size_t k = n - off < chunk ? n - off : chunk, got;
		r = capsa_vmstdio_decode(&d, enc + off, k, out + *len, &got);
		*len += got;
	}
	return r;
}

int main(void)
{
	static uint8_t in[1024], enc[2 * sizeof(in) + 2], out[sizeof(enc)];
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + i / 256);
	in[0] = in[1] = CAPSA_VMSTDIO_ESC; /* escapes in a row, and an escape before the end's own byte */
	in[2] = CAPSA_VMSTDIO_END;
	in[sizeof(in) - 1] = CAPSA_VMSTDIO_ESC;

	size_t n = capsa_vmstdio_encode(in, sizeof(in), enc);
	size_t escs = 0;
	for (size_t i = 0; i < sizeof(in); i++)
		escs += in[i] == CAPSA_VMSTDIO_ESC;
	is_int((long long)n, (long long)(sizeof(in) + escs),
	       "each escape byte is doubled, nothing else grows");
	n += capsa_vmstdio_end(enc + n);

	const size_t chunks[] = {1, 2, 3, 7, 255, 4096};
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		size_t len;
		int r = decode_in_chunks(enc, n, chunks[c], out, &len);
		ok(r == 1 && len == sizeof(in) && memcmp(in, out, len) == 0,
		   "reads of %zu bytes: every byte back, then the end", chunks[c]);
	}

	/* Nothing after the end counts, and the end stays seen. */
	uint8_t tail[] = {'a', CAPSA_VMSTDIO_ESC, CAPSA_VMSTDIO_END, 'b', 'c'};
	struct capsa_vmstdio_dec d = {0};
	size_t got = 99;
	is_int(capsa_vmstdio_decode(&d, tail, sizeof(tail), out, &got), 1, "the end is seen mid-read");
	ok(got == 1 && out[0] == 'a', "the bytes before the end are kept, those after it dropped");
	is_int(capsa_vmstdio_decode(&d, (const uint8_t *)"xyz", 3, out, &got), 1,
	       "after the end: still the end");
	is_int((long long)got, 0, "after the end: no bytes");

	/* An empty stdin is just the end. */
	uint8_t end[2];
	d = (struct capsa_vmstdio_dec){0};
	is_int(capsa_vmstdio_decode(&d, end, capsa_vmstdio_end(end), out, &got), 1,
	       "an empty stdin: the end");
	is_int((long long)got, 0, "an empty stdin: no bytes");

	/* A read that is only the escape: nothing yet, the next read finishes it. */
	d = (struct capsa_vmstdio_dec){0};
	uint8_t esc = CAPSA_VMSTDIO_ESC;
	is_int(capsa_vmstdio_decode(&d, &esc, 1, out, &got), 0, "a lone escape waits for the next read");
	is_int((long long)got, 0, "a lone escape: no byte yet");
	is_int(capsa_vmstdio_decode(&d, &esc, 1, out, &got), 0, "escape + escape across reads");
	ok(got == 1 && out[0] == CAPSA_VMSTDIO_ESC, "escape + escape across reads: one escape byte");
	is_int(capsa_vmstdio_decode(&d, (const uint8_t *)"", 0, out, &got), 0,
	       "an empty read changes nothing");

	/* Bad input: an escape followed by neither an escape nor the end. */
	uint8_t bad[] = {'o', 'k', CAPSA_VMSTDIO_ESC, 'x', 'y'};
	d = (struct capsa_vmstdio_dec){0};
	is_int(capsa_vmstdio_decode(&d, bad, sizeof(bad), out, &got), -1, "an unknown escape is refused");
	ok(got == 2 && memcmp(out, "ok", 2) == 0, "the bytes before the bad escape are kept");
	return tap_done();
}
