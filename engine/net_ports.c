/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Published ports' registry lines and record lists (see net_ports.h). */
#define _GNU_SOURCE
#include "engine/net_ports.h"
#include "common/util.h"

#include <json-c/json.h>
#include <string.h>

char *engine_net_lines_drop(const char *text, const char *id)
{
	char *out = xmalloc(strlen(text) + 1);
	size_t len = 0, idlen = strlen(id);
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		const char *sp = memrchr(p, ' ', l);
		bool mine = sp && (size_t)(p + l - sp - 1) == idlen && !strncmp(sp + 1, id, idlen);
		if (!mine && l) {
			memcpy(out + len, p, l);
			len += l;
			out[len++] = '\n';
		}
		p += l + (nl ? 1 : 0);
	}
	out[len] = '\0';
	return out;
}

bool engine_net_port_registered(const char *text, const struct capsa_port_map *m)
{
	char key[32];
	int kl = snprintf(key, sizeof(key), "%s %u ", m->proto, m->host_port);
	for (const char *p = text; *p;) {
		if (!strncmp(p, key, (size_t)kl))
			return true;
		const char *nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return false;
}

struct json_object *engine_net_ports_json(const struct capsa_port_map *m, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_new_object();
		json_object_object_add(p, "Proto", json_object_new_string(m[i].proto));
		json_object_object_add(p, "HostIp", json_object_new_string(m[i].host_ip));
		json_object_object_add(p, "HostPort", json_object_new_int(m[i].host_port));
		json_object_object_add(p, "ContainerPort", json_object_new_int(m[i].ctr_port));
		json_object_array_add(a, p);
	}
	return a;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* -1 for a missing or non-integer field: refused like any other bad number. */
static int jport(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	int64_t x = json_object_get_int64(v);
	return x < 0 || x > 65535 ? -1 : (int)x;
}

bool engine_net_ports_parse(struct json_object *o, const char *key, struct capsa_port_map **m, size_t *n)
{
	json_object *a;
	*n = 0;
	*m = NULL;
	if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
		return false;
	size_t len = json_object_array_length(a);
	*m = xcalloc(len + 1, sizeof(**m));
	for (size_t i = 0; i < len; i++) {
		json_object *p = json_object_array_get_idx(a, i);
		struct capsa_port_map *one = &(*m)[*n];
		const char *proto = json_object_is_type(p, json_type_object) ? jstr(p, "Proto") : NULL;
		const char *hip = proto ? jstr(p, "HostIp") : NULL;
		int hport = proto ? jport(p, "HostPort") : -1, cport = proto ? jport(p, "ContainerPort") : -1;
		if (!proto || (strcmp(proto, "tcp") && strcmp(proto, "udp")) || hport < 0 || cport < 1 ||
		    (hip && strlen(hip) >= sizeof(one->host_ip)))
			continue;
		snprintf(one->proto, sizeof(one->proto), "%s", proto);
		snprintf(one->host_ip, sizeof(one->host_ip), "%s", hip ? hip : "");
		one->host_port = (uint16_t)hport;
		one->ctr_port = (uint16_t)cport;
		(*n)++;
	}
	return true;
}
