// SPDX-License-Identifier: GPL-2.0-or-later
/* The micro-VM config block codec (see vmconfig.h); shared by the engine and the static guest init. */
#include "vm/vmconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char magic[8] = CAPSA_VMCFG_MAGIC; /* without its NUL */
#define HDR 12

static int put(char *buf, size_t *off, char tag, const char *v, const char **why)
{
	size_t n = strlen(v);

	if (*off + 2 + n > CAPSA_VMCFG_MAX) {
		*why = "the config (arguments and environment) is larger than 60 KiB";
		return -1;
	}
	buf[(*off)++] = tag;
	memcpy(buf + *off, v, n + 1);
	*off += n + 1;
	return 0;
}

int capsa_vmcfg_encode(const struct capsa_vmcfg *c, char *buf, const char **why)
{
	size_t off = HDR;
	char ug[32];

	memset(buf, 0, CAPSA_VMCFG_SIZE);
	if (c->argc == 0 || !c->argv || !c->argv[0] || !c->argv[0][0]) {
		*why = "no command to run";
		return -1;
	}
	for (size_t i = 0; i < c->argc; i++)
		if (put(buf, &off, 'a', c->argv[i], why) < 0)
			return -1;
	for (size_t i = 0; i < c->n_env; i++) {
		if (!strchr(c->env[i], '=')) {
			*why = "an environment entry has no '='";
			return -1;
		}
		if (put(buf, &off, 'e', c->env[i], why) < 0)
			return -1;
	}
	if (c->cwd && c->cwd[0] != '/') {
		*why = "the working directory is not absolute";
		return -1;
	}
	if (put(buf, &off, 'w', c->cwd ? c->cwd : "/", why) < 0)
		return -1;
	snprintf(ug, sizeof(ug), "%u:%u", c->uid, c->gid);
	if (put(buf, &off, 'u', ug, why) < 0)
		return -1;
	if (c->hostname && put(buf, &off, 'h', c->hostname, why) < 0)
		return -1;
	if (c->tty && put(buf, &off, 't', "1", why) < 0)
		return -1;
	if (c->net) {
		char rec[40];
		if ((*why = capsa_vmcfg_net_check(c->net_addr, c->net_prefix, c->net_gw)) != NULL)
			return -1;
		snprintf(rec, sizeof(rec), "%u.%u.%u.%u/%u %u.%u.%u.%u", c->net_addr >> 24,
			 (c->net_addr >> 16) & 255, (c->net_addr >> 8) & 255, c->net_addr & 255,
			 c->net_prefix, c->net_gw >> 24, (c->net_gw >> 16) & 255, (c->net_gw >> 8) & 255,
			 c->net_gw & 255);
		if (put(buf, &off, 'n', rec, why) < 0)
			return -1;
	}
	if (c->etc_hosts && put(buf, &off, 'H', c->etc_hosts, why) < 0)
		return -1;
	if (c->etc_resolv && put(buf, &off, 'R', c->etc_resolv, why) < 0)
		return -1;
	memcpy(buf, magic, sizeof(magic));
	uint32_t n = (uint32_t)(off - HDR);
	for (int i = 0; i < 4; i++)
		buf[8 + i] = (char)((n >> (8 * i)) & 0xff);
	return 0;
}

static int push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));

	if (!nv)
		return -1;
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return -1;
	nv[++*n] = NULL;
	return 0;
}

static int parse_u32(const char *s, const char *end, uint32_t *out)
{
	uint64_t v = 0;

	if (s == end)
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

const char *capsa_vmcfg_net_check(uint32_t addr, unsigned prefix, uint32_t gw)
{
	if (prefix < 8 || prefix > 30)
		return "the network prefix is not 8..30";
	uint32_t mask = ~0u << (32 - prefix);
	if ((addr & mask) != (gw & mask))
		return "the gateway is not in the address's subnet";
	if ((addr & ~mask) == 0 || (addr & ~mask) == ~mask || (gw & ~mask) == 0 || (gw & ~mask) == ~mask)
		return "the address or gateway is the subnet's network or broadcast address";
	if (addr == gw)
		return "the address is the gateway's";
	return NULL;
}

/* A dotted quad of four decimal parts of at most three digits, followed by stop. */
static const char *parse_quad(const char *s, char stop, uint32_t *out)
{
	uint32_t a = 0;
	for (int i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;
		for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
			v = v * 10 + (unsigned)(*s - '0');
		if (digits == 0 || digits > 3 || v > 255)
			return NULL;
		a = a << 8 | v;
		if (i < 3 && *s++ != '.')
			return NULL;
	}
	if (*s != stop)
		return NULL;
	*out = a;
	return s;
}

int capsa_vmcfg_net_parse(const char *v, uint32_t *addr, unsigned *prefix, uint32_t *gw, const char **why)
{
	uint32_t p = 0;
	const char *s = parse_quad(v, '/', addr), *sp;
	if (!s || !(sp = strchr(s, ' ')) || parse_u32(s + 1, sp, &p) < 0 || sp - s > 3 ||
	    !parse_quad(sp + 1, '\0', gw)) {
		*why = "the network record is not A.B.C.D/P G.H.I.J";
		return -1;
	}
	*prefix = p;
	if ((*why = capsa_vmcfg_net_check(*addr, p, *gw)) != NULL)
		return -1;
	return 0;
}

static int decode(const char *buf, size_t len, struct capsa_vmcfg *c, const char **why)
{
	bool have_user = false;

	if (len < HDR || memcmp(buf, magic, sizeof(magic)) != 0) {
		*why = "no capsa config block (bad magic)";
		return -1;
	}
	uint32_t n = 0;
	for (int i = 0; i < 4; i++)
		n |= (uint32_t)(unsigned char)buf[8 + i] << (8 * i);
	if (n > CAPSA_VMCFG_MAX - HDR || HDR + (size_t)n > len) {
		*why = "the config length is out of range";
		return -1;
	}
	if (n == 0 || buf[HDR + n - 1] != '\0') {
		*why = "the config's last record is not terminated";
		return -1;
	}
	for (const char *p = buf + HDR, *end = buf + HDR + n; p < end;) {
		char tag = *p++;
		const char *v = p;
		/* A NUL tag at the very end leaves no value: its "value" would start past the block. */
		size_t vl = strnlen(v, (size_t)(end - v));
		if (vl == (size_t)(end - v)) {
			*why = "the config's last record has no value";
			return -1;
		}
		p += vl + 1;
		switch (tag) {
		case 'a':
			if (push(&c->argv, &c->argc, v) < 0)
				goto oom;
			break;
		case 'e':
			if (!strchr(v, '=') || v[0] == '=') {
				*why = "an environment record is not K=V";
				return -1;
			}
			if (push(&c->env, &c->n_env, v) < 0)
				goto oom;
			break;
		case 'w':
			if (v[0] != '/' || c->cwd) {
				*why = "the working directory is not absolute or given twice";
				return -1;
			}
			c->cwd = strdup(v);
			if (!c->cwd)
				goto oom;
			break;
		case 'u': {
			const char *colon = strchr(v, ':');
			if (!colon || parse_u32(v, colon, &c->uid) < 0 ||
			    parse_u32(colon + 1, v + vl, &c->gid) < 0) {
				*why = "the user record is not uid:gid";
				return -1;
			}
			have_user = true;
			break;
		}
		case 'h':
			if (c->hostname || vl == 0 || vl > 64) {
				*why = "the hostname is empty, longer than 64 bytes or given twice";
				return -1;
			}
			c->hostname = strdup(v);
			if (!c->hostname)
				goto oom;
			break;
		case 't':
			c->tty = true;
			break;
		case 'n':
			if (c->net) {
				*why = "the network record is given twice";
				return -1;
			}
			if (capsa_vmcfg_net_parse(v, &c->net_addr, &c->net_prefix, &c->net_gw, why) < 0)
				return -1;
			c->net = true;
			break;
		case 'H':
		case 'R': {
			char **f = tag == 'H' ? &c->etc_hosts : &c->etc_resolv;
			if (*f) {
				*why = "the /etc/hosts or /etc/resolv.conf record is given twice";
				return -1;
			}
			*f = strdup(v);
			if (!*f)
				goto oom;
			break;
		}
		default:
			*why = "the config has an unknown record";
			return -1;
		}
	}
	if (c->argc == 0 || !c->argv[0][0]) {
		*why = "the config has no command";
		return -1;
	}
	if (!have_user) {
		*why = "the config has no user";
		return -1;
	}
	if (!c->env &&
	    push(&c->env, &c->n_env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0)
		goto oom;
	if (!c->cwd && !(c->cwd = strdup("/")))
		goto oom;
	return 0;
oom:
	*why = "out of memory";
	return -1;
}

int capsa_vmcfg_decode(const char *buf, size_t len, struct capsa_vmcfg *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	if (decode(buf, len, out, why) < 0) {
		capsa_vmcfg_free(out);
		return -1;
	}
	return 0;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void capsa_vmcfg_free(struct capsa_vmcfg *c)
{
	strv_free(c->argv);
	strv_free(c->env);
	free(c->cwd);
	free(c->hostname);
	free(c->etc_hosts);
	free(c->etc_resolv);
	memset(c, 0, sizeof(*c));
}

void capsa_vmcfg_status_format(int code, char *rec)
{
	memset(rec, 0, 512);
	snprintf(rec, 512, "CAPSAEX1 %d\n", code);
}

int capsa_vmcfg_status_parse(const char *rec, size_t len, int *code)
{
	uint32_t v;

	if (len < 11 || memcmp(rec, "CAPSAEX1 ", 9) != 0)
		return -1;
	const char *nl = memchr(rec + 9, '\n', len - 9);
	if (!nl || parse_u32(rec + 9, nl, &v) < 0 || v > 255)
		return -1;
	*code = (int)v;
	return 0;
}
