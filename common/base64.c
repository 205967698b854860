// SPDX-License-Identifier: GPL-2.0-or-later
#define _GNU_SOURCE
#include "common/base64.h"
#include "common/cleanup.h"

#include <stdint.h>
#include <stdlib.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *capsa_base64_encode(const void *data, size_t n)
{
	const unsigned char *p = data;
	char *out = xmalloc(4 * ((n + 2) / 3) + 1), *o = out;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*o++ = alphabet[v >> 18 & 63];
		*o++ = alphabet[v >> 12 & 63];
		*o++ = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? alphabet[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int capsa_base64_decode(const char *s, size_t len, unsigned char **out, size_t *n)
{
	if (len % 4)
		return -1;
	unsigned char *buf = xmalloc(len / 4 * 3 + 1);
	size_t k = 0;
	for (size_t i = 0; i < len; i += 4) {
		bool last = i + 4 == len;
		int pad = 0;
		uint32_t v = 0;
		for (int j = 0; j < 4; j++) {
			char c = s[i + j];
			int x;
			if (c == '=' && last && j >= 2 && (j == 3 || s[i + 3] == '=')) {
				pad++;
				x = 0;
			} else if ((x = value(c)) < 0 || pad) {
				free(buf);
				return -1;
			}
			v = v << 6 | (uint32_t)x;
		}
		/* The bits the padding leaves over must be zero: one spelling for each byte string. */
		if ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff))) {
			free(buf);
			return -1;
		}
		buf[k++] = (unsigned char)(v >> 16);
		if (pad < 2)
			buf[k++] = (unsigned char)(v >> 8);
		if (pad < 1)
			buf[k++] = (unsigned char)v;
	}
	buf[k] = '\0';
	*out = buf;
	*n = k;
	return 0;
}
