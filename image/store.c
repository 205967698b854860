/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The content store: its lock, images.json (names -> images), verified blobs written atomically,
 * lookups by name or id, and garbage collection of what no image or container uses.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define INDEX_FILE "images.json"

const char *capsa_image_default_root(void)
{
	const char *r = getenv("CAPSA_ROOT");
	return r && *r ? r : CAPSA_IMAGE_DEFAULT_ROOT;
}

const char *capsa_image_store_root(const struct capsa_image_store *s)
{
	return s->root;
}

const struct capsa_image *capsa_image_store_images(const struct capsa_image_store *s, size_t *n)
{
	*n = s->n_images;
	return s->images;
}

void image_clear(struct capsa_image *img)
{
	free(img->id);
	free(img->manifest);
	strv_free_n(img->names, img->n_names);
	free(img->created);
	free(img->platform);
	for (size_t i = 0; i < img->n_layers; i++) {
		free(img->layers[i].digest);
		free(img->layers[i].media_type);
		free(img->layers[i].diff_id);
	}
	free(img->layers);
	memset(img, 0, sizeof(*img));
}

static int parse_index(struct capsa_image_store *s, const char *json, size_t len, struct capsa_error **err)
{
	_cleanup_json_ json_object *o = NULL;
	json_object *arr;
	if (jx_parse(json, len, INDEX_FILE, &o, err) < 0)
		return -1;
	if (!json_object_is_type(o, json_type_object))
		return capsa_error_set(err, 0, INDEX_FILE ": expected an object");
	if (jx_array(o, "images", INDEX_FILE, true, &arr, err) < 0)
		return -1;
	size_t n = json_object_array_length(arr);
	s->images = xcalloc(n ? n : 1, sizeof(*s->images));
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = xasprintf(INDEX_FILE ": images[%zu]", i);
		json_object *e = json_object_array_get_idx(arr, i), *layers;
		struct capsa_image *img = &s->images[i];
		s->n_images = i + 1;
		if (!json_object_is_type(e, json_type_object))
			return capsa_error_set(err, 0, "%s: expected an object", p);
		if (jx_string(e, "id", p, true, &img->id, err) < 0 ||
		    jx_string(e, "manifest", p, true, &img->manifest, err) < 0 ||
		    jx_strv(e, "names", p, &img->names, &img->n_names, err) < 0 ||
		    jx_string(e, "created", p, false, &img->created, err) < 0 ||
		    jx_string(e, "platform", p, false, &img->platform, err) < 0 ||
		    jx_int64(e, "size", p, false, &img->size, err) < 0 ||
		    jx_array(e, "layers", p, true, &layers, err) < 0)
			return -1;
		if (img->names == NULL)
			img->names = xcalloc(1, sizeof(char *));
		if (capsa_digest_validate(img->id, err) < 0 || capsa_digest_validate(img->manifest, err) < 0)
			return capsa_error_prefix(err, "%s", p);
		img->n_layers = json_object_array_length(layers);
		img->layers = xcalloc(img->n_layers ? img->n_layers : 1, sizeof(*img->layers));
		for (size_t j = 0; j < img->n_layers; j++) {
			_cleanup_free_ char *lp = xasprintf("%s.layers[%zu]", p, j);
			json_object *l = json_object_array_get_idx(layers, j);
			struct capsa_image_layer *L = &img->layers[j];
			if (!json_object_is_type(l, json_type_object))
				return capsa_error_set(err, 0, "%s: expected an object", lp);
			if (jx_string(l, "digest", lp, true, &L->digest, err) < 0 ||
			    jx_string(l, "mediaType", lp, true, &L->media_type, err) < 0 ||
			    jx_int64(l, "size", lp, false, &L->size, err) < 0 ||
			    jx_string(l, "diffID", lp, true, &L->diff_id, err) < 0 ||
			    jx_int64(l, "diffSize", lp, false, &L->diff_size, err) < 0)
				return -1;
			if (capsa_digest_validate(L->digest, err) < 0 ||
			    capsa_digest_validate(L->diff_id, err) < 0)
				return capsa_error_prefix(err, "%s", lp);
		}
	}
	return 0;
}

int store_save(struct capsa_image_store *s, struct capsa_error **err)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < s->n_images; i++) {
		const struct capsa_image *img = &s->images[i];
		json_object *e = json_object_new_object();
		json_object_object_add(e, "id", json_object_new_string(img->id));
		json_object_object_add(e, "manifest", json_object_new_string(img->manifest));
		json_object_object_add(e, "names", strv_to_json(img->names, img->n_names));
		if (img->created)
			json_object_object_add(e, "created", json_object_new_string(img->created));
		if (img->platform)
			json_object_object_add(e, "platform", json_object_new_string(img->platform));
		json_object_object_add(e, "size", json_object_new_int64(img->size));
		json_object *la = json_object_new_array();
		for (size_t j = 0; j < img->n_layers; j++) {
			const struct capsa_image_layer *L = &img->layers[j];
			json_object *l = json_object_new_object();
			json_object_object_add(l, "digest", json_object_new_string(L->digest));
			json_object_object_add(l, "mediaType", json_object_new_string(L->media_type));
			json_object_object_add(l, "size", json_object_new_int64(L->size));
			json_object_object_add(l, "diffID", json_object_new_string(L->diff_id));
			json_object_object_add(l, "diffSize", json_object_new_int64(L->diff_size));
			json_object_array_add(la, l);
		}
		json_object_object_add(e, "layers", la);
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "images", arr);
	_cleanup_free_ char *text = json_dump(o, true);
	if (capsa_write_file_atomic_at(s->rootfd, INDEX_FILE, text, strlen(text), 0600, err) < 0)
		return capsa_error_prefix(err, "save image index");
	s->dirty = false;
	return 0;
}

static void sweep(struct capsa_image_store *s, const char *dir, const char *algo, char **keep, char ***report,
		  uint64_t *reclaimed);

int capsa_image_store_open(const char *root, bool write, struct capsa_image_store **out,
			   struct capsa_error **err)
{
	if (root == NULL)
		root = capsa_image_default_root();
	if (root[0] != '/')
		return capsa_error_set(err, 0, "store root %s: must be an absolute path", root);
	/* 0700: snapshots hold setuid binaries and device nodes that must not be reachable by other users. */
	if (capsa_mkdir_p(root, 0700, err) < 0)
		return capsa_error_prefix(err, "store root");
	_cleanup_free_ char *json = NULL;
	size_t len = 0;
	_cleanup_error_ struct capsa_error *rerr = NULL;
	struct capsa_image_store *s = xzalloc(sizeof(*s));
	s->root = xstrdup(root);
	s->lockfd = -1;
	s->write = write;
	s->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd < 0) {
		capsa_error_errno(err, "open store root %s", root);
		goto fail;
	}
	static const char *dirs[] = {"blobs", "blobs/sha256", "blobs/sha512", "snapshots", "rootfs", "tmp"};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (mkdirat(s->rootfd, dirs[i], 0700) < 0 && errno != EEXIST) {
			capsa_error_errno(err, "create %s/%s", root, dirs[i]);
			goto fail;
		}
	}
	s->lockfd = openat(s->rootfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lockfd < 0) {
		capsa_error_errno(err, "open %s/lock", root);
		goto fail;
	}
	while (flock(s->lockfd, write ? LOCK_EX : LOCK_SH) < 0) {
		if (errno != EINTR) {
			capsa_error_errno(err, "lock store %s", root);
			goto fail;
		}
	}
	if (capsa_read_file_at(s->rootfd, INDEX_FILE, 256 << 20, &json, &len, &rerr) == 0) {
		if (parse_index(s, json, len, err) < 0) {
			capsa_error_prefix(err, "store %s", root);
			goto fail;
		}
	} else if (rerr->errnum != ENOENT) {
		capsa_error_set(err, rerr->errnum, "store %s: %s", root, rerr->msg);
		goto fail;
	}
	if (write) {
		/* Holding the exclusive lock: whatever is in tmp/ was left by a load that died. */
		uint64_t ignored = 0;
		sweep(s, "tmp", NULL, NULL, NULL, &ignored);
	}
	*out = s;
	return 0;
fail:
	capsa_image_store_close(s);
	return -1;
}

void capsa_image_store_close(struct capsa_image_store *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n_images; i++)
		image_clear(&s->images[i]);
	free(s->images);
	if (s->lockfd >= 0)
		close(s->lockfd); /* releases the flock */
	if (s->rootfd >= 0)
		close(s->rootfd);
	free(s->root);
	free(s);
}

/* ---- names ---- */

void store_drop_name(struct capsa_image_store *s, const char *name)
{
	for (size_t i = 0; i < s->n_images; i++) {
		struct capsa_image *img = &s->images[i];
		for (size_t j = 0; j < img->n_names; j++) {
			if (strcmp(img->names[j], name))
				continue;
			free(img->names[j]);
			memmove(&img->names[j], &img->names[j + 1], (img->n_names - j) * sizeof(char *));
			img->n_names--;
			s->dirty = true;
			break;
		}
	}
}

void store_add_image(struct capsa_image_store *s, struct capsa_image *img)
{
	for (size_t i = 0; i < img->n_names; i++)
		store_drop_name(s, img->names[i]);
	for (size_t i = 0; i < s->n_images; i++) {
		struct capsa_image *old = &s->images[i];
		if (strcmp(old->id, img->id))
			continue;
		/* Same image again: keep its names and add the new ones. */
		for (size_t j = 0; j < old->n_names; j++)
			if (!capsa_strv_contains(img->names, old->names[j])) {
				capsa_strv_push(&img->names, old->names[j]);
				img->n_names++;
			}
		image_clear(old);
		*old = *img;
		memset(img, 0, sizeof(*img));
		s->dirty = true;
		return;
	}
	s->images = xreallocarray(s->images, s->n_images + 1, sizeof(*s->images));
	s->images[s->n_images++] = *img;
	memset(img, 0, sizeof(*img));
	s->dirty = true;
}

static bool is_hex(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static int lookup(struct capsa_image_store *s, const char *ref, const struct capsa_image **out,
		  struct capsa_error **err)
{
	if (ref == NULL || *ref == '\0')
		return capsa_error_set(err, 0, "empty image reference");
	const char *hex = NULL;
	if (capsa_str_has_prefix(ref, "sha256:"))
		hex = ref + 7;
	else if (strlen(ref) == 64 && is_hex(ref))
		hex = ref;
	if (hex == NULL) {
		_cleanup_image_ref_ struct capsa_image_ref *r = NULL;
		_cleanup_error_ struct capsa_error *perr = NULL;
		if (capsa_image_ref_parse(ref, &r, &perr) == 0) {
			_cleanup_free_ char *full = capsa_image_ref_string(r);
			_cleanup_free_ char *repo = capsa_image_ref_repo(r);
			/* repo@digest names content exactly: an image pulled by digest has no tag in the
			 * repository, so any image with that manifest digest answers when none has one. */
			const struct capsa_image *by_digest = NULL;
			for (size_t i = 0; i < s->n_images; i++) {
				const struct capsa_image *img = &s->images[i];
				if (r->digest && !r->tag) {
					/* repo@digest: the manifest digest, with some name in that
					 * repository. */
					if (img->manifest == NULL || strcmp(img->manifest, r->digest))
						continue;
					if (by_digest == NULL)
						by_digest = img;
					for (size_t j = 0; j < img->n_names; j++)
						if (capsa_str_has_prefix(img->names[j], repo) &&
						    img->names[j][strlen(repo)] == ':') {
							*out = img;
							return 0;
						}
					continue;
				}
				_cleanup_free_ char *tagged = xasprintf("%s:%s", repo, r->tag);
				if (capsa_strv_contains(img->names, tagged) &&
				    (r->digest == NULL || !strcmp(r->digest, img->manifest))) {
					*out = img;
					return 0;
				}
			}
			(void)full;
			if (by_digest) {
				*out = by_digest;
				return 0;
			}
		}
		if (strlen(ref) >= 4 && is_hex(ref))
			hex = ref;
	}
	if (hex && is_hex(hex) && *hex) {
		const struct capsa_image *found = NULL;
		size_t hl = strlen(hex);
		for (size_t i = 0; i < s->n_images; i++) {
			if (strncmp(digest_hex(s->images[i].id), hex, hl))
				continue;
			if (found)
				return capsa_error_set(err, 0, "image id prefix %s is ambiguous", hex);
			found = &s->images[i];
		}
		if (found) {
			*out = found;
			return 0;
		}
	}
	return capsa_error_set(err, 0, "no such image: %s", ref);
}

/* ---- blobs ---- */

static atomic_uint tmp_counter;

char *store_tmp_name(const char *what)
{
	unsigned int rnd = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, &rnd, sizeof(rnd)) < 0)
			rnd = 0;
		close(fd);
	}
	return xasprintf("tmp/%s-%d-%u-%08x", what, (int)getpid(), atomic_fetch_add(&tmp_counter, 1), rnd);
}

static char *blob_path(const char *digest)
{
	const char *c = strchr(digest, ':');
	return xasprintf("blobs/%.*s/%s", (int)(c - digest), digest, c + 1);
}

bool blob_exists(struct capsa_image_store *s, const char *digest)
{
	if (capsa_digest_validate(digest, NULL) < 0)
		return false;
	_cleanup_free_ char *p = blob_path(digest);
	return faccessat(s->rootfd, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int blob_open(struct capsa_image_store *s, const char *digest, int64_t *size, struct capsa_error **err)
{
	if (capsa_digest_validate(digest, err) < 0)
		return -1;
	_cleanup_free_ char *p = blob_path(digest);
	int fd = openat(s->rootfd, p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return capsa_error_errno(err, "blob %s", digest);
	if (size) {
		struct stat st;
		if (fstat(fd, &st) < 0) {
			close(fd);
			return capsa_error_errno(err, "stat blob %s", digest);
		}
		*size = st.st_size;
	}
	return fd;
}

int capsa_image_blob_read(struct capsa_image_store *s, const char *digest, size_t max, char **out,
			  size_t *len, struct capsa_error **err)
{
	_cleanup_close_ int fd = blob_open(s, digest, NULL, err);
	if (fd < 0)
		return -1;
	if (capsa_read_fd(fd, max, out, len, err) < 0)
		return capsa_error_prefix(err, "blob %s", digest);
	return 0;
}

int blob_writer_begin(struct capsa_image_store *s, const char *algo, struct blob_writer *w,
		      struct capsa_error **err)
{
	memset(w, 0, sizeof(*w));
	w->s = s;
	w->tmp = store_tmp_name("blob");
	w->fd = openat(s->rootfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (w->fd < 0) {
		capsa_error_errno(err, "create %s/%s", s->root, w->tmp);
		free(w->tmp);
		return -1;
	}
	if (hasher_init(&w->h, algo, err) < 0) {
		close(w->fd);
		unlinkat(s->rootfd, w->tmp, 0);
		free(w->tmp);
		return -1;
	}
	return 0;
}

int blob_writer_write(struct blob_writer *w, const void *data, size_t len, struct capsa_error **err)
{
	hasher_update(&w->h, data, len);
	if (capsa_write_all(w->fd, data, len) < 0)
		return capsa_error_errno(err, "write blob");
	w->size += (int64_t)len;
	return 0;
}

void blob_writer_abort(struct blob_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	unlinkat(w->s->rootfd, w->tmp, 0);
	free(w->tmp);
	w->tmp = NULL;
	hasher_free(&w->h);
}

/* Verifies, then makes the blob durable and visible in one rename. */
int blob_writer_commit(struct blob_writer *w, const char *expect, int64_t expect_size, char **digest,
		       struct capsa_error **err)
{
	_cleanup_free_ char *got = hasher_final(&w->h);
	if (expect && strcmp(expect, got)) {
		capsa_error_set(err, 0, "digest mismatch: expected %s, content is %s", expect, got);
		blob_writer_abort(w);
		return -1;
	}
	if (expect_size >= 0 && expect_size != w->size) {
		capsa_error_set(err, 0, "size mismatch for %s: expected %lld bytes, got %lld", got,
				(long long)expect_size, (long long)w->size);
		blob_writer_abort(w);
		return -1;
	}
	_cleanup_free_ char *dst = blob_path(got);
	if (faccessat(w->s->rootfd, dst, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		/* Already stored (and verified when it was): keep that file untouched. */
		blob_writer_abort(w);
		if (digest)
			*digest = TAKE_PTR(got);
		return 0;
	}
	if (fsync(w->fd) < 0) {
		capsa_error_errno(err, "fsync blob %s", got);
		blob_writer_abort(w);
		return -1;
	}
	if (renameat(w->s->rootfd, w->tmp, w->s->rootfd, dst) < 0) {
		capsa_error_errno(err, "rename blob %s", got);
		blob_writer_abort(w);
		return -1;
	}
	close(w->fd);
	w->fd = -1;
	_cleanup_free_ char *dir = xstrndup(dst, (size_t)(strrchr(dst, '/') - dst));
	_cleanup_close_ int dfd = openat(w->s->rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
	free(w->tmp);
	w->tmp = NULL;
	hasher_free(&w->h);
	if (digest)
		*digest = TAKE_PTR(got);
	return 0;
}

int blob_write_fd(struct capsa_image_store *s, int fd, const char *expect, int64_t expect_size, char **digest,
		  int64_t *size, struct capsa_error **err)
{
	if (expect && capsa_digest_validate(expect, err) < 0)
		return -1;
	struct blob_writer w;
	if (blob_writer_begin(s, expect && capsa_str_has_prefix(expect, "sha512:") ? "sha512" : "sha256", &w,
			      err) < 0)
		return -1;
	size_t cap = 1 << 20;
	_cleanup_free_ char *buf = xmalloc(cap);
	for (;;) {
		ssize_t r = read(fd, buf, cap);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			capsa_error_errno(err, "read");
			blob_writer_abort(&w);
			return -1;
		}
		if (r == 0)
			break;
		if (blob_writer_write(&w, buf, (size_t)r, err) < 0) {
			blob_writer_abort(&w);
			return -1;
		}
		if (expect_size >= 0 && w.size > expect_size) {
			capsa_error_set(err, 0, "blob %s: larger than the %lld bytes its descriptor says",
					expect ? expect : "", (long long)expect_size);
			blob_writer_abort(&w);
			return -1;
		}
	}
	if (size)
		*size = w.size;
	return blob_writer_commit(&w, expect, expect_size, digest, err);
}

int blob_write_mem(struct capsa_image_store *s, const void *data, size_t len, const char *expect,
		   char **digest, struct capsa_error **err)
{
	struct blob_writer w;
	if (blob_writer_begin(s, expect && capsa_str_has_prefix(expect, "sha512:") ? "sha512" : "sha256", &w,
			      err) < 0)
		return -1;
	if (blob_writer_write(&w, data, len, err) < 0) {
		blob_writer_abort(&w);
		return -1;
	}
	return blob_writer_commit(&w, expect, -1, digest, err);
}

bool snapshot_exists(struct capsa_image_store *s, const char *diff_id)
{
	_cleanup_free_ char *p = xasprintf("snapshots/%s/fs", digest_hex(diff_id));
	return faccessat(s->rootfd, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int capsa_image_get_config(struct capsa_image_store *s, const struct capsa_image *img,
			   struct capsa_image_config **out, struct capsa_error **err)
{
	_cleanup_free_ char *json = NULL;
	size_t len;
	if (capsa_image_blob_read(s, img->id, 0, &json, &len, err) < 0)
		return -1;
	return capsa_image_config_parse(json, len, "image config", out, err);
}

/* ---- images built from manifests ---- */

int store_image_from_manifest(struct capsa_image_store *s, const char *manifest_digest,
			      struct capsa_image *out, struct capsa_error **err)
{
	_cleanup_free_ char *json = NULL;
	size_t len;
	_cleanup_image_manifest_ struct capsa_image_manifest *m = NULL;
	_cleanup_image_config_ struct capsa_image_config *c = NULL;
	if (capsa_image_blob_read(s, manifest_digest, 4 << 20, &json, &len, err) < 0 ||
	    capsa_image_manifest_parse(json, len, "manifest", &m, err) < 0)
		return -1;
	_cleanup_free_ char *cjson = NULL;
	size_t clen;
	if (capsa_image_blob_read(s, m->config.digest, 16 << 20, &cjson, &clen, err) < 0 ||
	    capsa_image_config_parse(cjson, clen, "image config", &c, err) < 0)
		return -1;
	if (c->n_diff_ids != m->n_layers)
		return capsa_error_set(err, 0,
				       "image %s: manifest has %zu layers but the config lists %zu diff_ids",
				       manifest_digest, m->n_layers, c->n_diff_ids);
	memset(out, 0, sizeof(*out));
	out->id = xstrdup(m->config.digest);
	out->manifest = xstrdup(manifest_digest);
	out->names = xcalloc(1, sizeof(char *));
	out->created = c->created ? xstrdup(c->created) : NULL;
	out->platform = xasprintf("%s/%s%s%s", c->os, c->architecture, c->variant ? "/" : "",
				  c->variant ? c->variant : "");
	out->n_layers = m->n_layers;
	out->layers = xcalloc(m->n_layers ? m->n_layers : 1, sizeof(*out->layers));
	for (size_t i = 0; i < m->n_layers; i++) {
		out->layers[i].digest = xstrdup(m->layers[i].digest);
		out->layers[i].media_type = xstrdup(m->layers[i].media_type);
		out->layers[i].size = m->layers[i].size;
		out->layers[i].diff_id = xstrdup(c->diff_ids[i]);
		if (!blob_exists(s, m->layers[i].digest)) {
			image_clear(out);
			return capsa_error_set(err, 0, "image %s: layer %s is missing", manifest_digest,
					       m->layers[i].digest);
		}
	}
	return 0;
}

/* ---- use by containers, garbage collection ---- */

/* rootfs/<cid>/image holds the image id, rootfs/<cid>/layers the diff_ids its mount uses. */
static char **read_rootfs_files(struct capsa_image_store *s, const char *file)
{
	char **v = xcalloc(1, sizeof(char *));
	_cleanup_close_ int fd = openat(s->rootfd, "rootfs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return v;
	_cleanup_closedir_ DIR *d = fdopendir(TAKE_FD(fd));
	if (d == NULL)
		return v;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *p = xasprintf("rootfs/%s/%s", de->d_name, file);
		_cleanup_free_ char *text = NULL;
		if (capsa_read_file_at(s->rootfd, p, 1 << 20, &text, NULL, NULL) < 0)
			continue;
		for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			capsa_strv_push(&v, l);
	}
	return v;
}

char **store_images_in_use(struct capsa_image_store *s)
{
	return read_rootfs_files(s, "image");
}

static void sweep(struct capsa_image_store *s, const char *dir, const char *algo, char **keep, char ***report,
		  uint64_t *reclaimed)
{
	_cleanup_close_ int fd = openat(s->rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	int dfd = fd;
	_cleanup_closedir_ DIR *d = fdopendir(TAKE_FD(fd));
	if (d == NULL) {
		close(dfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *dg = algo ? xasprintf("%s:%s", algo, de->d_name) : xstrdup(de->d_name);
		if (keep && capsa_strv_contains(keep, dg))
			continue;
		uint64_t sz = capsa_disk_usage_at(dirfd(d), de->d_name);
		if (capsa_rm_rf_at(dirfd(d), de->d_name) < 0) {
			capsa_warn("prune: remove %s/%s/%s: %s", s->root, dir, de->d_name, strerror(errno));
			continue;
		}
		*reclaimed += sz;
		if (report && !strcmp(dir, "snapshots"))
			report_add(report, "Deleted snapshot: %s", dg);
	}
}

int store_gc(struct capsa_image_store *s, bool blobs_only, char ***report, uint64_t *reclaimed,
	     struct capsa_error **err)
{
	uint64_t dummy = 0;
	if (reclaimed == NULL)
		reclaimed = &dummy;
	_cleanup_strv_ char **keep = xcalloc(1, sizeof(char *));
	_cleanup_strv_ char **snaps = read_rootfs_files(s, "layers");
	for (size_t i = 0; i < s->n_images; i++) {
		const struct capsa_image *img = &s->images[i];
		capsa_strv_push(&keep, img->id);
		capsa_strv_push(&keep, img->manifest);
		for (size_t j = 0; j < img->n_layers; j++) {
			capsa_strv_push(&keep, img->layers[j].digest);
			capsa_strv_push(&snaps, img->layers[j].diff_id);
		}
	}
	sweep(s, "blobs/sha256", "sha256", keep, NULL, reclaimed);
	sweep(s, "blobs/sha512", "sha512", keep, NULL, reclaimed);
	if (blobs_only)
		return 0;
	/* Snapshots are named by the hex of their diff_id. */
	for (size_t i = 0; snaps[i]; i++) {
		char *hex = xstrdup(digest_hex(snaps[i]));
		free(snaps[i]);
		snaps[i] = hex;
	}
	sweep(s, "snapshots", NULL, snaps, report, reclaimed);
	/* The micro-VM roots (vm/<image hex>.ext4 and .cpio, made by `run --vm`) go with their images; one
	 * being made is a dot file, left alone. */
	_cleanup_strv_ char **disks = xcalloc(1, sizeof(char *));
	for (size_t i = 0; i < s->n_images; i++) {
		_cleanup_free_ char *disk = xasprintf("%s.ext4", digest_hex(s->images[i].id));
		_cleanup_free_ char *cpio = xasprintf("%s.cpio", digest_hex(s->images[i].id));
		capsa_strv_push(&disks, disk);
		capsa_strv_push(&disks, cpio);
	}
	sweep(s, "vm", NULL, disks, NULL, reclaimed);
	/* The exclusive lock is held: nothing in tmp/ belongs to a running load. */
	sweep(s, "tmp", NULL, NULL, NULL, reclaimed);
	(void)err;
	return 0;
}

/* ---- tag, remove, prune ---- */

int capsa_image_tag(struct capsa_image_store *s, const char *src, const char *target,
		    struct capsa_error **err)
{
	const struct capsa_image *img;
	_cleanup_image_ref_ struct capsa_image_ref *r = NULL;
	if (capsa_image_lookup(s, src, &img, err) < 0)
		return -1;
	if (capsa_image_ref_parse(target, &r, err) < 0)
		return -1;
	if (r->digest)
		return capsa_error_set(err, 0, "tag %s: a tag cannot contain a digest", target);
	_cleanup_free_ char *name = capsa_image_ref_string(r);
	size_t idx = (size_t)(img - s->images);
	store_drop_name(s, name);
	struct capsa_image *m = &s->images[idx];
	capsa_strv_push(&m->names, name);
	m->n_names++;
	s->dirty = true;
	return store_save(s, err);
}

static void delete_image(struct capsa_image_store *s, size_t idx)
{
	image_clear(&s->images[idx]);
	memmove(&s->images[idx], &s->images[idx + 1], (s->n_images - idx - 1) * sizeof(*s->images));
	s->n_images--;
	s->dirty = true;
}

int capsa_image_remove(struct capsa_image_store *s, const char *ref, bool force, char ***report,
		       struct capsa_error **err)
{
	const struct capsa_image *found;
	if (capsa_image_lookup(s, ref, &found, err) < 0)
		return -1;
	size_t idx = (size_t)(found - s->images);
	struct capsa_image *img = &s->images[idx];
	_cleanup_free_ char *name = NULL;
	{
		_cleanup_error_ struct capsa_error *e = NULL;
		_cleanup_free_ char *norm = NULL;
		if (capsa_image_ref_normalize(ref, &norm, &e) == 0 && capsa_strv_contains(img->names, norm))
			name = TAKE_PTR(norm);
	}
	_cleanup_strv_ char **used = store_images_in_use(s);
	bool in_use = capsa_strv_contains(used, img->id);
	if (name && img->n_names > 1) {
		store_drop_name(s, name);
		report_add(report, "Untagged: %s", name);
		return store_save(s, err);
	}
	if (!name && img->n_names > 1 && !force)
		return capsa_error_set(
			err, EBUSY,
			"image %.19s is referenced by %zu names (%s, ...): remove them one by one or use -f",
			img->id, img->n_names, img->names[0]);
	if (in_use && !force)
		return capsa_error_set(err, 0,
				       "image %s is in use by a container (stop and remove it, or use -f)",
				       img->names[0] ? img->names[0] : img->id);
	for (size_t i = 0; i < img->n_names; i++)
		report_add(report, "Untagged: %s", img->names[i]);
	report_add(report, "Deleted: %s", img->id);
	delete_image(s, idx);
	if (store_save(s, err) < 0)
		return -1;
	return store_gc(s, false, NULL, NULL, err);
}

int capsa_image_prune(struct capsa_image_store *s, bool all, char ***report, uint64_t *reclaimed,
		      struct capsa_error **err)
{
	_cleanup_strv_ char **used = store_images_in_use(s);
	for (size_t i = 0; i < s->n_images;) {
		struct capsa_image *img = &s->images[i];
		if ((img->n_names == 0 || all) && !capsa_strv_contains(used, img->id)) {
			report_add(report, "Deleted: %s", img->id);
			delete_image(s, i);
			continue;
		}
		i++;
	}
	if (s->dirty && store_save(s, err) < 0)
		return -1;
	return store_gc(s, false, report, reclaimed, err);
}

void report_add(char ***report, const char *fmt, ...)
{
	if (report == NULL)
		return;
	_cleanup_free_ char *line = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		abort();
	va_end(ap);
	capsa_strv_push(report, line);
}

int capsa_image_lookup(struct capsa_image_store *s, const char *ref, const struct capsa_image **out,
		       struct capsa_error **err)
{
	_cleanup_error_ struct capsa_error *first = NULL;
	if (lookup(s, ref, out, &first) == 0)
		return 0;
	/* Like podman: a short name that is not on docker.io may be a local image (import, oci layouts). */
	if (ref && *ref && strchr(ref, '/') == NULL && strchr(ref, '@') == NULL) {
		_cleanup_free_ char *local = xasprintf("localhost/%s", ref);
		if (lookup(s, local, out, NULL) == 0)
			return 0;
	}
	if (err)
		*err = TAKE_PTR(first);
	return -1;
}
