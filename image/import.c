/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `import`: a rootfs tarball or directory becomes a one-layer image, like `docker import`. */
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

/* The writer callback records the blob's errno (ENOSPC from a full store) in the archive: report that. */
static int out_errno(struct archive *a)
{
	return archive_errno(a) > 0 ? archive_errno(a) : EIO;
}

static la_ssize_t writer_cb(struct archive *a, void *data, const void *buf, size_t len)
{
	struct capsa_error *e = NULL;
	if (blob_writer_write(data, buf, len, &e) < 0) {
		archive_set_error(a, e->errnum, "%s", e->msg);
		capsa_error_free(e);
		return -1;
	}
	return (la_ssize_t)len;
}

/* Tars a directory (no symlink is followed, xattrs and hard links kept) straight into a blob; names are
 * "./...". */
static int tar_directory(struct capsa_image_store *s, const char *dir, char **digest,
			 struct capsa_error **err)
{
	struct blob_writer w;
	if (blob_writer_begin(s, "sha256", &w, err) < 0)
		return -1;
	struct archive *out = archive_write_new();
	struct archive *disk = archive_read_disk_new();
	_cleanup_free_ char *buf = xmalloc(1 << 20);
	int ret = -1;
	archive_write_set_format_pax_restricted(out);
	archive_write_set_bytes_in_last_block(out, 1);
	archive_read_disk_set_symlink_physical(disk);
	archive_read_disk_set_standard_lookup(disk);
	/* A file's second and later names become hard link entries without data, as tar writes them. */
	struct archive_entry_linkresolver *links = archive_entry_linkresolver_new();
	archive_entry_linkresolver_set_strategy(links, archive_format(out));
	if (archive_write_open(out, &w, NULL, writer_cb, NULL) != ARCHIVE_OK ||
	    archive_read_disk_open(disk, dir) != ARCHIVE_OK) {
		capsa_error_set(err, EIO, "%s: %s", dir, archive_error_string(disk));
		goto out;
	}
	size_t dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	for (;;) {
		struct archive_entry *e;
		int r = archive_read_next_header(disk, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			capsa_error_set(err, EIO, "%s: %s", dir, archive_error_string(disk));
			goto out;
		}
		archive_read_disk_descend(disk);
		_cleanup_free_ char *src = xstrdup(archive_entry_sourcepath(e) ? archive_entry_sourcepath(e)
									       : archive_entry_pathname(e));
		const char *p = src;
		const char *rel = strncmp(p, dir, dl) == 0 ? p + dl : p;
		while (*rel == '/')
			rel++;
		_cleanup_free_ char *name = xasprintf("./%s", rel);
		archive_entry_set_pathname(e, name);
		struct archive_entry *spare = NULL;
		archive_entry_linkify(links, &e, &spare);
		if (archive_write_header(out, e) < ARCHIVE_WARN) {
			capsa_error_set(err, out_errno(out), "%s: %s", src, archive_error_string(out));
			goto out;
		}
		if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0 &&
		    archive_entry_hardlink(e) == NULL) {
			_cleanup_close_ int fd = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				capsa_error_errno(err, "open %s", src);
				goto out;
			}
			for (;;) {
				ssize_t n = read(fd, buf, 1 << 20);
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0) {
					capsa_error_errno(err, "read %s", src);
					goto out;
				}
				if (n == 0)
					break;
				if (archive_write_data(out, buf, (size_t)n) < 0) {
					capsa_error_set(err, out_errno(out), "%s: %s", src,
							archive_error_string(out));
					goto out;
				}
			}
		}
	}
	if (archive_write_close(out) != ARCHIVE_OK) {
		capsa_error_set(err, out_errno(out), "tar %s: %s", dir, archive_error_string(out));
		goto out;
	}
	ret = 0;
out:
	archive_entry_linkresolver_free(links);
	archive_read_free(disk);
	archive_write_free(out);
	if (ret < 0) {
		blob_writer_abort(&w);
		return -1;
	}
	return blob_writer_commit(&w, NULL, -1, digest, err);
}

/* The sha256 of a blob's uncompressed stream; with rewrite, also stores that stream as a new blob. */
static int uncompressed_digest(struct capsa_image_store *s, const char *digest, bool rewrite, char **diff_id,
			       struct capsa_error **err)
{
	_cleanup_close_ int fd = blob_open(s, digest, NULL, err);
	if (fd < 0)
		return -1;
	struct archive *r = archive_read_new();
	archive_read_support_filter_all(r);
	archive_read_support_format_raw(r);
	struct archive_entry *e;
	struct hasher h = {0};
	struct blob_writer w = {.fd = -1};
	int ret = -1;
	if (hasher_init(&h, "sha256", err) < 0)
		goto out;
	if (rewrite && blob_writer_begin(s, "sha256", &w, err) < 0)
		goto out;
	if (archive_read_open_fd(r, fd, 1 << 20) != ARCHIVE_OK ||
	    archive_read_next_header(r, &e) != ARCHIVE_OK) {
		capsa_error_set(err, 0, "%s", archive_error_string(r));
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
			capsa_error_set(err, 0, "decompress: %s", archive_error_string(r));
			goto out;
		}
		hasher_update(&h, buf, len);
		if (rewrite && blob_writer_write(&w, buf, len, err) < 0)
			goto out;
	}
	if (rewrite) {
		if (blob_writer_commit(&w, NULL, -1, NULL, err) < 0)
			goto out;
		w.fd = -1;
	}
	*diff_id = hasher_final(&h);
	ret = 0;
out:
	if (rewrite && ret < 0 && w.tmp)
		blob_writer_abort(&w);
	hasher_free(&h);
	archive_read_free(r);
	return ret;
}

int capsa_image_import(struct capsa_image_store *s, const char *src, const char *name, char *const *changes,
		       size_t n_changes, char **id, struct capsa_error **err)
{
	if (capsa_archive_ready(err) < 0)
		return -1;
	_cleanup_free_ char *norm = NULL;
	if (name && capsa_image_ref_normalize(name, &norm, err) < 0)
		return -1;
	if (norm && strchr(norm, '@'))
		return capsa_error_set(err, 0, "import: name %s must not contain a digest", name);
	_cleanup_image_config_ struct capsa_image_config *c = xzalloc(sizeof(*c));
	for (size_t i = 0; i < n_changes; i++)
		if (capsa_image_config_change(c, changes[i], err) < 0)
			return -1;

	_cleanup_free_ char *blob = NULL, *diff_id = NULL;
	const char *mt = CAPSA_MT_OCI_LAYER;
	struct stat st;
	bool is_stdin = !strcmp(src, "-");
	if (!is_stdin && stat(src, &st) < 0)
		return capsa_error_errno(err, "import %s", src);
	if (!is_stdin && S_ISDIR(st.st_mode)) {
		if (tar_directory(s, src, &blob, err) < 0)
			return capsa_error_prefix(err, "import %s", src);
		diff_id = xstrdup(blob);
	} else {
		_cleanup_close_ int fd = is_stdin ? dup(STDIN_FILENO) : open(src, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return capsa_error_errno(err, "open %s", src);
		if (blob_write_fd(s, fd, NULL, -1, &blob, NULL, err) < 0)
			return capsa_error_prefix(err, "import %s", src);
		_cleanup_close_ int bfd = blob_open(s, blob, NULL, err);
		unsigned char head[8] = {0};
		if (bfd < 0)
			return -1;
		ssize_t r = pread(bfd, head, sizeof(head), 0);
		int comp = sniff_compression(head, r > 0 ? (size_t)r : 0);
		if (comp == 0) {
			diff_id = xstrdup(blob);
		} else {
			/* xz and bzip2 are no OCI layer types: such input is stored uncompressed. */
			bool rewrite = comp == 'x' || comp == 'b';
			if (uncompressed_digest(s, blob, rewrite, &diff_id, err) < 0)
				return capsa_error_prefix(err, "import %s", src);
			if (rewrite) {
				free(blob);
				blob = xstrdup(diff_id);
			} else {
				mt = layer_media_type_for(comp, false);
			}
		}
	}
	int64_t blob_size = 0;
	{
		_cleanup_close_ int bfd = blob_open(s, blob, &blob_size, err);
		if (bfd < 0)
			return -1;
	}

	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct capsa_platform host;
	capsa_platform_host(&host);
	c->created = capsa_time_rfc3339(&now);
	c->os = xstrdup(host.os);
	c->architecture = xstrdup(host.architecture);
	capsa_platform_clear(&host);
	c->diff_ids = xcalloc(2, sizeof(char *));
	c->diff_ids[0] = xstrdup(diff_id);
	c->n_diff_ids = 1;
	c->history = xcalloc(1, sizeof(*c->history));
	c->n_history = 1;
	c->history[0].created = xstrdup(c->created);
	c->history[0].created_by = xasprintf("capsa import %s", is_stdin ? "-" : src);
	c->history[0].comment = xasprintf("Imported from %s", is_stdin ? "-" : src);
	_cleanup_free_ char *cjson = capsa_image_config_to_json(c), *cdigest = NULL;
	if (blob_write_mem(s, cjson, strlen(cjson), NULL, &cdigest, err) < 0)
		return -1;

	_cleanup_json_ json_object *m = json_object_new_object();
	json_object_object_add(m, "schemaVersion", json_object_new_int(2));
	json_object_object_add(m, "mediaType", json_object_new_string(CAPSA_MT_OCI_MANIFEST));
	struct capsa_descriptor cd = {
		.media_type = (char *)CAPSA_MT_OCI_CONFIG, .digest = cdigest, .size = (int64_t)strlen(cjson)};
	json_object_object_add(m, "config", descriptor_to_json(&cd));
	struct capsa_descriptor ld = {.media_type = (char *)mt, .digest = blob, .size = blob_size};
	json_object *la = json_object_new_array();
	json_object_array_add(la, descriptor_to_json(&ld));
	json_object_object_add(m, "layers", la);
	_cleanup_free_ char *mjson = json_dump(m, false), *mdigest = NULL;
	if (blob_write_mem(s, mjson, strlen(mjson), NULL, &mdigest, err) < 0)
		return -1;
	struct capsa_image img;
	if (store_image_from_manifest(s, mdigest, &img, err) < 0)
		return -1;
	if (capsa_image_unpack(s, &img, 1, err) < 0) {
		image_clear(&img);
		_cleanup_error_ struct capsa_error *gerr = NULL;
		if (store_gc(s, true, NULL, NULL, &gerr) < 0)
			capsa_warn("import: cleanup: %s", gerr->msg);
		return capsa_error_prefix(err, "import %s", src);
	}
	if (norm) {
		capsa_strv_push(&img.names, norm);
		img.n_names++;
	}
	*id = xstrdup(img.id);
	store_add_image(s, &img);
	return store_save(s, err);
}
