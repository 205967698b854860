/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to oci-spec/: typed, path-aware access to json-c values and the
 * writing helpers. Every reader takes the value and its JSON path, so an error
 * names exactly what was wrong ("config.json: mounts[2].destination: expected a
 * string"). A JSON null counts as absent, as it does for the Go runtimes.
 */
#ifndef CAPSA_OCI_JSON_INTERNAL_H
#define CAPSA_OCI_JSON_INTERNAL_H

#include "oci-spec/oci-spec.h"
#include "common/cleanup.h"
#include "common/log.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

static inline void json_putp(struct json_object **o)
{
	if (*o)
		json_object_put(*o);
}
#define _cleanup_json_ __attribute__((cleanup(json_putp)))

/* A JSON path as a chain of stack frames: either an object key or an array index. */
struct jpath {
	const struct jpath *parent;
	const char *key; /* NULL: this is an array element */
	size_t index;
};

#define JP_KEY(p, k) (&(const struct jpath){.parent = (p), .key = (k)})
#define JP_IDX(p, i) (&(const struct jpath){.parent = (p), .index = (i)})

/* Where errors go: the document name used as message prefix and the error out-parameter. */
struct jctx {
	const char *name;
	struct capsa_error **err;
};

char *oci_jpath_str(const struct jpath *p);
/* Sets "<name>: <path>: <message>" and returns -1. */
int oci_jerr(struct jctx *c, const struct jpath *p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Parses a whole document that must be one JSON object; syntax errors carry line and column. */
int oci_json_parse_object(const char *json, size_t len, const char *name, struct json_object **out,
			  struct capsa_error **err) CAPSA_WUR;

/* The member `key` of an object, or NULL when it is absent or null. */
struct json_object *oci_jget(struct json_object *obj, const char *key);

/* Value readers: v is the value (never NULL), p its path. */
int oci_jobject(struct jctx *c, struct json_object *v, const struct jpath *p) CAPSA_WUR;
int oci_jarray(struct jctx *c, struct json_object *v, const struct jpath *p, size_t *n) CAPSA_WUR;
int oci_jstring(struct jctx *c, struct json_object *v, const struct jpath *p, char **out) CAPSA_WUR;
int oci_jbool(struct jctx *c, struct json_object *v, const struct jpath *p, bool *out) CAPSA_WUR;
int oci_ji64(struct jctx *c, struct json_object *v, const struct jpath *p, int64_t min, int64_t max,
	     int64_t *out) CAPSA_WUR;
int oci_ju64(struct jctx *c, struct json_object *v, const struct jpath *p, uint64_t max,
	     uint64_t *out) CAPSA_WUR;
int oci_ju32(struct jctx *c, struct json_object *v, const struct jpath *p, uint32_t *out) CAPSA_WUR;
/* An array of strings into a NULL-terminated vector; *out stays non-NULL for [] so presence survives. */
int oci_jstrv(struct jctx *c, struct json_object *v, const struct jpath *p, char ***out, size_t *n) CAPSA_WUR;
/* An object of strings (annotations, sysctl, unified). */
int oci_jmap(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_kv **out,
	     size_t *n) CAPSA_WUR;
/* A string that must be one of the NULL-terminated list `allowed`. */
int oci_jenum(struct jctx *c, struct json_object *v, const struct jpath *p, const char *const *allowed,
	      char **out) CAPSA_WUR;
/* An array of such strings. */
int oci_jenumv(struct jctx *c, struct json_object *v, const struct jpath *p, const char *const *allowed,
	       char ***out, size_t *n) CAPSA_WUR;
int oci_jidmaps(struct jctx *c, struct json_object *v, const struct jpath *p, struct oci_id_mapping **out,
		size_t *n) CAPSA_WUR;

#define OCI_PARSE_ARRAY(c, v, p, arr, n, parse_elem)                                                         \
	({                                                                                                   \
		size_t _len = 0;                                                                             \
		int _r = oci_jarray((c), (v), (p), &_len);                                                   \
		if (_r == 0) {                                                                               \
			(arr) = xcalloc(_len ? _len : 1, sizeof(*(arr)));                                    \
			(n) = _len;                                                                          \
			for (size_t _i = 0; _i < _len && _r == 0; _i++) {                                    \
				struct json_object *_e = json_object_array_get_idx((v), _i);                 \
				const struct jpath *_ep = JP_IDX((p), _i);                                   \
				if (_e == NULL || oci_jobject((c), _e, _ep) < 0)                             \
					_r = _e ? -1 : oci_jerr((c), _ep, "expected an object");             \
				else                                                                         \
					_r = parse_elem((c), _e, _ep, &(arr)[_i]);                           \
			}                                                                                    \
		}                                                                                            \
		_r;                                                                                          \
	})

/* Field readers: absent (or null) fields leave *out untouched and succeed unless the field is required. */
int oci_jf_string(struct jctx *c, struct json_object *obj, const struct jpath *p, const char *key,
		  bool required, char **out) CAPSA_WUR;
int oci_jf_bool(struct jctx *c, struct json_object *obj, const struct jpath *p, const char *key,
		bool *out) CAPSA_WUR;
int oci_jf_opt_i64(struct jctx *c, struct json_object *obj, const struct jpath *p, const char *key,
		   int64_t min, int64_t max, struct oci_opt_i64 *out) CAPSA_WUR;
int oci_jf_opt_u64(struct jctx *c, struct json_object *obj, const struct jpath *p, const char *key,
		   uint64_t max, struct oci_opt_u64 *out) CAPSA_WUR;
int oci_jf_strv(struct jctx *c, struct json_object *obj, const struct jpath *p, const char *key, char ***out,
		size_t *n) CAPSA_WUR;
int oci_jf_map(struct jctx *c, struct json_object *obj, const struct jpath *p, const char *key,
	       struct oci_kv **out, size_t *n) CAPSA_WUR;
int oci_jf_enum(struct jctx *c, struct json_object *obj, const struct jpath *p, const char *key,
		bool required, const char *const *allowed, char **out) CAPSA_WUR;
int oci_jf_idmaps(struct jctx *c, struct json_object *obj, const struct jpath *p, const char *key,
		  struct oci_id_mapping **out, size_t *n) CAPSA_WUR;
int oci_jmissing(struct jctx *c, const struct jpath *p, const char *key);

/* Releasing what the readers allocate. */
void oci_strv_free(char **v, size_t n);
void oci_kv_free(struct oci_kv *kv, size_t n);

/* Writers: each adds nothing when the value is absent (NULL pointer, unset optional). */
void oci_jw_string(struct json_object *o, const char *key, const char *s);
void oci_jw_bool(struct json_object *o, const char *key, bool b);
void oci_jw_i64(struct json_object *o, const char *key, int64_t v);
void oci_jw_u64(struct json_object *o, const char *key, uint64_t v);
void oci_jw_opt_i64(struct json_object *o, const char *key, struct oci_opt_i64 v);
void oci_jw_opt_u64(struct json_object *o, const char *key, struct oci_opt_u64 v);
void oci_jw_strv(struct json_object *o, const char *key, char *const *v, size_t n);
void oci_jw_map(struct json_object *o, const char *key, const struct oci_kv *kv, size_t n);
void oci_jw_idmaps(struct json_object *o, const char *key, const struct oci_id_mapping *m, size_t n);
struct json_object *oci_jw_new_u64(uint64_t v);
struct json_object *oci_jw_strv_array(char *const *v, size_t n);
/* Adds a child (object or array) and returns it. */
struct json_object *oci_jw_child(struct json_object *o, const char *key, struct json_object *child);
/* Pretty-prints o with a trailing newline and releases it. */
char *oci_json_dump(struct json_object *o);

/* Per-area parsers and writers shared between the files of oci-spec/. */
int oci_parse_process(struct jctx *c, struct json_object *v, const struct jpath *p,
		      struct oci_process **out) CAPSA_WUR;
struct json_object *oci_process_to_json(const struct oci_process *p);
int oci_parse_linux(struct jctx *c, struct json_object *v, const struct jpath *p,
		    struct oci_linux **out) CAPSA_WUR;
void oci_linux_free(struct oci_linux *l);
struct json_object *oci_linux_to_json(const struct oci_linux *l);
int oci_parse_resources(struct jctx *c, struct json_object *v, const struct jpath *p,
			struct oci_resources **out) CAPSA_WUR;
void oci_resources_free(struct oci_resources *r);
struct json_object *oci_resources_to_json(const struct oci_resources *r);

#endif
