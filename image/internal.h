/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals of image/ shared between its files; nothing here is public. */
#ifndef CAPSA_IMAGE_INTERNAL_H
#define CAPSA_IMAGE_INTERNAL_H

#include "image.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <json-c/json.h>
#include <openssl/evp.h>

/* ---- digests ---- */
struct hasher {
	EVP_MD_CTX *ctx;
	char algo[8];
};
int hasher_init(struct hasher *h, const char *algo, struct capsa_error **err) CAPSA_WUR;
/* Same algorithm as digest ("sha512:..." or sha256). */
int hasher_init_for(struct hasher *h, const char *digest, struct capsa_error **err) CAPSA_WUR;
void hasher_update(struct hasher *h, const void *data, size_t len);
char *hasher_final(struct hasher *h);
void hasher_free(struct hasher *h);
const char *digest_hex(const char *digest);

/* ---- JSON helpers: typed getters whose errors carry "name: path.key: reason" ---- */
static inline void json_putp(json_object **o)
{
	if (*o)
		json_object_put(*o);
}
#define _cleanup_json_ __attribute__((cleanup(json_putp)))

int jx_parse(const char *json, size_t len, const char *name, json_object **out,
	     struct capsa_error **err) CAPSA_WUR;
/* Each getter treats a missing key and JSON null alike: absent (an error only when required). */
int jx_object(json_object *o, const char *key, const char *path, bool required, json_object **out,
	      struct capsa_error **err) CAPSA_WUR;
int jx_array(json_object *o, const char *key, const char *path, bool required, json_object **out,
	     struct capsa_error **err) CAPSA_WUR;
int jx_string(json_object *o, const char *key, const char *path, bool required, char **out,
	      struct capsa_error **err) CAPSA_WUR;
int jx_int64(json_object *o, const char *key, const char *path, bool required, int64_t *out,
	     struct capsa_error **err) CAPSA_WUR;
int jx_bool(json_object *o, const char *key, const char *path, bool *out, struct capsa_error **err) CAPSA_WUR;
/* An array of strings; *out stays NULL when absent, is non-NULL (maybe empty) when present. */
int jx_strv(json_object *o, const char *key, const char *path, char ***out, size_t *n,
	    struct capsa_error **err) CAPSA_WUR;
/* An object of string values. */
int jx_kv(json_object *o, const char *key, const char *path, struct capsa_kv **out, size_t *n,
	  struct capsa_error **err) CAPSA_WUR;
/* The keys of an object (ExposedPorts, Volumes: {"80/tcp": {}}). */
int jx_keys(json_object *o, const char *key, const char *path, char ***out, size_t *n,
	    struct capsa_error **err) CAPSA_WUR;
void kv_free(struct capsa_kv *kv, size_t n);
void strv_free_n(char **v, size_t n);
void descriptor_clear(struct capsa_descriptor *d);
int descriptor_parse(json_object *o, const char *path, struct capsa_descriptor *d,
		     struct capsa_error **err) CAPSA_WUR;
json_object *descriptor_to_json(const struct capsa_descriptor *d);
json_object *strv_to_json(char *const *v, size_t n);
char *json_dump(json_object *o, bool pretty);

/* ---- the store ---- */
struct capsa_image_store {
	char *root;
	int rootfd;
	int lockfd;
	bool write;
	struct capsa_image *images;
	size_t n_images;
	bool dirty;
};

/* A blob being written: temp file under tmp/, hashed as it goes, renamed into blobs/ on commit. */
struct blob_writer {
	struct capsa_image_store *s;
	char *tmp;
	int fd;
	struct hasher h;
	int64_t size;
};
int blob_writer_begin(struct capsa_image_store *s, const char *algo, struct blob_writer *w,
		      struct capsa_error **err) CAPSA_WUR;
int blob_writer_write(struct blob_writer *w, const void *data, size_t len,
		      struct capsa_error **err) CAPSA_WUR;
/* Checks digest (when expect is set) and size (when expect_size >= 0), fsyncs, renames. */
int blob_writer_commit(struct blob_writer *w, const char *expect, int64_t expect_size, char **digest,
		       struct capsa_error **err) CAPSA_WUR;
void blob_writer_abort(struct blob_writer *w);

/* Streams fd into blobs/ while hashing; with expect set, a mismatch fails and leaves nothing.
 * *digest gets the computed digest (caller frees). */
int blob_write_fd(struct capsa_image_store *s, int fd, const char *expect, int64_t expect_size, char **digest,
		  int64_t *size, struct capsa_error **err) CAPSA_WUR;
int blob_write_mem(struct capsa_image_store *s, const void *data, size_t len, const char *expect,
		   char **digest, struct capsa_error **err) CAPSA_WUR;
int blob_open(struct capsa_image_store *s, const char *digest, int64_t *size,
	      struct capsa_error **err) CAPSA_WUR;
bool blob_exists(struct capsa_image_store *s, const char *digest);
/* A fresh temp file or dir name under tmp/ (relative to the root fd). */
char *store_tmp_name(const char *what);
int store_save(struct capsa_image_store *s, struct capsa_error **err) CAPSA_WUR;
/* Adds or replaces the image with this id, merges names, moves the names away from other images. */
void store_add_image(struct capsa_image_store *s, struct capsa_image *img);
void image_clear(struct capsa_image *img);
void store_drop_name(struct capsa_image_store *s, const char *name);
/* Builds a store image from a manifest blob already in the store (config and layers verified present). */
int store_image_from_manifest(struct capsa_image_store *s, const char *manifest_digest,
			      struct capsa_image *out, struct capsa_error **err) CAPSA_WUR;
/* Removes blobs and snapshots no image or container uses; tmp/ too. */
int store_gc(struct capsa_image_store *s, bool blobs_only, char ***report, uint64_t *reclaimed,
	     struct capsa_error **err) CAPSA_WUR;
/* The image ids used by prepared container rootfs dirs. */
char **store_images_in_use(struct capsa_image_store *s);
bool snapshot_exists(struct capsa_image_store *s, const char *diff_id);

/* openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) of path ("" = the root itself) below rootfd. */
int open_in_root(int rootfd, const char *path, int flags);
/* Appends a formatted line to a report strv (which may be NULL: then nothing happens). */
void report_add(char ***report, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- archives ---- */
/* Sniffed compression of a layer stream: 0 none, 'g' gzip, 'z' zstd, 'x' xz, 'b' bzip2. */
int sniff_compression(const unsigned char *buf, size_t n);
const char *layer_media_type_for(int compression, bool docker);

#endif
