/* SPDX-License-Identifier: GPL-2.0-or-later */
/* common/base64.h: RFC 4648 test vectors both ways, binary round trips, and strictness on bad input. */
#define _GNU_SOURCE
#include "tap.h"
#include "common/base64.h"

#include <stdlib.h>

static void both(const char *plain, const char *b64)
{
	char *e = capsa_base64_encode(plain, strlen(plain));
	is_str(e, b64, "encode \"%s\"", plain);
	free(e);
	unsigned char *d = NULL;
	size_t n = 0;
	int r = capsa_base64_decode(b64, strlen(b64), &d, &n);
	ok(r == 0 && n == strlen(plain) && memcmp(d, plain, n) == 0 && d[n] == '\0', "decode \"%s\"", b64);
	free(d);
}

static void bad(const char *b64, const char *why)
{
	unsigned char *d = NULL;
	size_t n = 0;
	ok(capsa_base64_decode(b64, strlen(b64), &d, &n) < 0 && d == NULL, "refused: %s", why);
}

int main(void)
{
	both("", "");
	both("f", "Zg==");
	both("fo", "Zm8=");
	both("foo", "Zm9v");
	both("foob", "Zm9vYg==");
	both("fooba", "Zm9vYmE=");
	both("foobar", "Zm9vYmFy");
	both("user:pa ss:word", "dXNlcjpwYSBzczp3b3Jk");

	unsigned char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	for (size_t len = 250; len <= 256; len++) {
		char *e = capsa_base64_encode(all, len);
		unsigned char *d = NULL;
		size_t n = 0;
		ok(strlen(e) == 4 * ((len + 2) / 3) && capsa_base64_decode(e, strlen(e), &d, &n) == 0 &&
			   n == len && memcmp(d, all, len) == 0,
		   "every byte value round-trips (%zu bytes, with + and /)", len);
		free(e);
		free(d);
	}

	bad("Zg=", "length not a multiple of 4");
	bad("Zg", "no padding");
	bad("Z===", "three padding characters");
	bad("=Zg=", "padding first");
	bad("Zg=a", "data after padding");
	bad("Zg==Zm8=", "padding in the middle");
	bad("Zm9v YmFy", "a space");
	bad("Zm9\nvYmFy", "a newline");
	bad("Zm9-", "URL-safe alphabet");
	bad("Zm9_", "URL-safe alphabet");
	bad("Zm\x80v", "a byte above 127");
	bad("Zm9=", "bits left over after one padding character");
	bad("Zh==", "bits left over after two padding characters");
	return tap_done();
}
