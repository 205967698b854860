/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `save`: images out of the store as a docker-archive or an oci-archive, written atomically. */
#define _GNU_SOURCE
#include "internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int capsa_archive_format_parse(const char *s, enum capsa_archive_format *out, struct capsa_error **err)
{
	if (s == NULL || !strcmp(s, "docker-archive") || !strcmp(s, "docker"))
		*out = CAPSA_ARCHIVE_DOCKER;
	else if (!strcmp(s, "oci-archive") || !strcmp(s, "oci"))
		*out = CAPSA_ARCHIVE_OCI;
	else
		return capsa_error_set(err, 0,
				       "unknown archive format \"%s\" (docker-archive or oci-archive)", s);
	return 0;
}

static struct archive_entry *new_entry(const char *name, int64_t size, mode_t type, mode_t perm)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, size);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_mtime(e, 0, 0);
	return e;
}

static int add_bytes(struct archive *a, const char *name, const char *data, size_t len,
		     struct capsa_error **err)
{
	struct archive_entry *e = new_entry(name, (int64_t)len, AE_IFREG, 0644);
	int r = archive_write_header(a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK || (len && archive_write_data(a, data, len) != (la_ssize_t)len))
		return capsa_error_set(err, EIO, "write %s: %s", name, archive_error_string(a));
	return 0;
}

static int add_fd(struct archive *a, const char *name, int fd, struct capsa_error **err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return capsa_error_errno(err, "stat %s", name);
	struct archive_entry *e = new_entry(name, st.st_size, AE_IFREG, 0644);
	int r = archive_write_header(a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return capsa_error_set(err, EIO, "write %s: %s", name, archive_error_string(a));
	_cleanup_free_ char *buf = xmalloc(1 << 20);
	for (off_t off = 0; off < st.st_size;) {
		ssize_t n = pread(fd, buf, 1 << 20, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return capsa_error_errno(err, "read %s", name);
		if (archive_write_data(a, buf, (size_t)n) != n)
			return capsa_error_set(err, EIO, "write %s: %s", name, archive_error_string(a));
		off += n;
	}
	return 0;
}

static int add_blob(struct capsa_image_store *s, struct archive *a, const char *name, const char *digest,
		    struct capsa_error **err)
{
	_cleanup_close_ int fd = blob_open(s, digest, NULL, err);
	if (fd < 0)
		return -1;
	return add_fd(a, name, fd, err);
}

/* Docker archives carry uncompressed layers: decompress into tmp/ first (the tar header needs the size). */
static int add_layer_uncompressed(struct capsa_image_store *s, struct archive *a, const char *name,
				  const struct capsa_image_layer *L, struct capsa_error **err)
{
	if (!strcmp(L->media_type, CAPSA_MT_OCI_LAYER) ||
	    !strcmp(L->media_type, "application/vnd.docker.image.rootfs.diff.tar"))
		return add_blob(s, a, name, L->digest, err);
	_cleanup_close_ int in = blob_open(s, L->digest, NULL, err);
	if (in < 0)
		return -1;
	_cleanup_free_ char *tmp = store_tmp_name("layer");
	_cleanup_close_ int out = openat(s->rootfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		return capsa_error_errno(err, "create %s", tmp);
	unlinkat(s->rootfd, tmp, 0);
	struct archive *r = archive_read_new();
	archive_read_support_filter_all(r);
	archive_read_support_format_raw(r);
	struct archive_entry *e;
	int ret = -1;
	char *got = NULL;
	struct hasher h = {0};
	if (hasher_init(&h, "sha256", err) < 0)
		goto out;
	if (archive_read_open_fd(r, in, 1 << 20) != ARCHIVE_OK ||
	    archive_read_next_header(r, &e) != ARCHIVE_OK) {
		capsa_error_set(err, EIO, "layer %s: %s", L->digest, archive_error_string(r));
		goto out;
	}
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int k = archive_read_data_block(r, &buf, &len, &off);
		if (k == ARCHIVE_EOF)
			break;
		if (k < ARCHIVE_WARN) {
			capsa_error_set(err, EIO, "layer %s: %s", L->digest, archive_error_string(r));
			goto out;
		}
		hasher_update(&h, buf, len);
		if (capsa_write_all(out, buf, len) < 0) {
			capsa_error_errno(err, "write %s", tmp);
			goto out;
		}
	}
	got = hasher_final(&h);
	if (strcmp(got, L->diff_id)) {
		capsa_error_set(err, 0, "layer %s: diff_id mismatch: expected %s, content is %s", L->digest,
				L->diff_id, got);
		goto out;
	}
	ret = add_fd(a, name, out, err);
out:
	free(got);
	hasher_free(&h);
	archive_read_free(r);
	return ret;
}

static char *tag_of(const char *name)
{
	const char *c = strrchr(name, ':'), *sl = strrchr(name, '/');
	return xstrdup(c && (!sl || c > sl) ? c + 1 : "latest");
}

static char *repo_of(const char *name)
{
	const char *c = strrchr(name, ':'), *sl = strrchr(name, '/');
	return c && (!sl || c > sl) ? xstrndup(name, (size_t)(c - name)) : xstrdup(name);
}

int capsa_image_save(struct capsa_image_store *s, char *const *refs, size_t n_refs, const char *output,
		     enum capsa_archive_format format, struct capsa_error **err)
{
	if (capsa_archive_ready(err) < 0)
		return -1;
	if (n_refs == 0)
		return capsa_error_set(err, 0, "save: no image given");
	const struct capsa_image **imgs = xcalloc(n_refs, sizeof(*imgs));
	_cleanup_strv_ char **names = xcalloc(n_refs + 1, sizeof(char *));
	for (size_t i = 0; i < n_refs; i++) {
		if (capsa_image_lookup(s, refs[i], &imgs[i], err) < 0) {
			free(imgs);
			return -1;
		}
		_cleanup_error_ struct capsa_error *e = NULL;
		char *norm = NULL;
		if (capsa_image_ref_normalize(refs[i], &norm, &e) == 0 &&
		    capsa_strv_contains(imgs[i]->names, norm))
			names[i] = norm;
		else {
			free(norm);
			names[i] = xstrdup("");
		}
	}
	bool to_stdout = output == NULL || !strcmp(output, "-");
	_cleanup_free_ char *tmp = to_stdout ? NULL : xasprintf("%s.tmp.%d", output, (int)getpid());
	_cleanup_close_ int fd =
		to_stdout ? dup(STDOUT_FILENO)
			  : open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		free(imgs);
		return capsa_error_errno(err, "create %s", to_stdout ? "stdout" : tmp);
	}
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	int ret = -1;
	_cleanup_strv_ char **done = xcalloc(1, sizeof(char *));
	_cleanup_json_ json_object *top = NULL;
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		capsa_error_set(err, EIO, "open output: %s", archive_error_string(a));
		goto out;
	}
	if (format == CAPSA_ARCHIVE_OCI) {
		const char *layout = "{\"imageLayoutVersion\":\"1.0.0\"}";
		if (add_bytes(a, "oci-layout", layout, strlen(layout), err) < 0)
			goto out;
		top = json_object_new_object();
		json_object_object_add(top, "schemaVersion", json_object_new_int(2));
		json_object_object_add(top, "mediaType", json_object_new_string(CAPSA_MT_OCI_INDEX));
		json_object *ms = json_object_new_array();
		json_object_object_add(top, "manifests", ms);
		for (size_t i = 0; i < n_refs; i++) {
			const struct capsa_image *img = imgs[i];
			_cleanup_free_ char *mjson = NULL;
			size_t mlen;
			if (capsa_image_blob_read(s, img->manifest, 4 << 20, &mjson, &mlen, err) < 0)
				goto out;
			const char *blobs[2] = {img->manifest, img->id};
			for (size_t k = 0; k < 2 + img->n_layers; k++) {
				const char *d = k < 2 ? blobs[k] : img->layers[k - 2].digest;
				if (capsa_strv_contains(done, d))
					continue;
				_cleanup_free_ char *p = xasprintf("blobs/%.6s/%s", d, digest_hex(d));
				if (add_blob(s, a, p, d, err) < 0)
					goto out;
				capsa_strv_push(&done, d);
			}
			struct capsa_descriptor md = {.media_type = (char *)CAPSA_MT_OCI_MANIFEST,
						      .digest = img->manifest,
						      .size = (int64_t)mlen};
			if (strstr(mjson, CAPSA_MT_DOCKER_MANIFEST))
				md.media_type = (char *)CAPSA_MT_DOCKER_MANIFEST;
			json_object *d = descriptor_to_json(&md);
			if (*names[i]) {
				json_object *an = json_object_new_object();
				_cleanup_free_ char *tag = tag_of(names[i]);
				json_object_object_add(an, "io.containerd.image.name",
						       json_object_new_string(names[i]));
				json_object_object_add(an, "org.opencontainers.image.ref.name",
						       json_object_new_string(tag));
				json_object_object_add(d, "annotations", an);
			}
			json_object_array_add(ms, d);
		}
		_cleanup_free_ char *ij = json_dump(top, false);
		if (add_bytes(a, "index.json", ij, strlen(ij), err) < 0)
			goto out;
	} else {
		top = json_object_new_array();
		_cleanup_json_ json_object *repos = json_object_new_object();
		for (size_t i = 0; i < n_refs; i++) {
			const struct capsa_image *img = imgs[i];
			_cleanup_free_ char *cfgname = xasprintf("%s.json", digest_hex(img->id));
			if (!capsa_strv_contains(done, cfgname)) {
				if (add_blob(s, a, cfgname, img->id, err) < 0)
					goto out;
				capsa_strv_push(&done, cfgname);
			}
			json_object *e = json_object_new_object();
			json_object_array_add(top, e);
			json_object_object_add(e, "Config", json_object_new_string(cfgname));
			json_object *tags = json_object_new_array();
			if (*names[i])
				json_object_array_add(tags, json_object_new_string(names[i]));
			json_object_object_add(e, "RepoTags", tags);
			json_object *layers = json_object_new_array();
			json_object_object_add(e, "Layers", layers);
			for (size_t k = 0; k < img->n_layers; k++) {
				_cleanup_free_ char *ln =
					xasprintf("%s/layer.tar", digest_hex(img->layers[k].diff_id));
				json_object_array_add(layers, json_object_new_string(ln));
				if (capsa_strv_contains(done, ln))
					continue;
				if (add_layer_uncompressed(s, a, ln, &img->layers[k], err) < 0)
					goto out;
				capsa_strv_push(&done, ln);
			}
			if (*names[i] && img->n_layers) {
				_cleanup_free_ char *repo = repo_of(names[i]), *tag = tag_of(names[i]);
				json_object *r = NULL;
				if (!json_object_object_get_ex(repos, repo, &r)) {
					r = json_object_new_object();
					json_object_object_add(repos, repo, r);
				}
				json_object_object_add(r, tag,
						       json_object_new_string(digest_hex(
							       img->layers[img->n_layers - 1].diff_id)));
			}
		}
		_cleanup_free_ char *mj = json_dump(top, false), *rj = json_dump(repos, false);
		if (add_bytes(a, "manifest.json", mj, strlen(mj), err) < 0 ||
		    add_bytes(a, "repositories", rj, strlen(rj), err) < 0)
			goto out;
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		capsa_error_set(err, EIO, "finish archive: %s", archive_error_string(a));
		goto out;
	}
	if (!to_stdout) {
		if (fsync(fd) < 0 || rename(tmp, output) < 0) {
			capsa_error_errno(err, "write %s", output);
			goto out;
		}
	}
	ret = 0;
out:
	archive_write_free(a);
	if (ret < 0 && tmp)
		unlink(tmp);
	free(imgs);
	return ret;
}
