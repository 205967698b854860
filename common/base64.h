/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Standard base64 (RFC 4648, with padding), for registry credentials. */
#ifndef CAPSA_BASE64_H
#define CAPSA_BASE64_H

#include <stddef.h>

/* A new NUL-terminated string. */
char *capsa_base64_encode(const void *data, size_t n);
/* Strict: length a multiple of 4, padding only at the end, no other characters. *out (n bytes, plus a NUL
 * not counted) is new; -1 on bad input. */
int capsa_base64_decode(const char *s, size_t len, unsigned char **out, size_t *n);

#endif
