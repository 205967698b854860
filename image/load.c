/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `load`: docker-archive and oci-archive files (detected by their content, optionally compressed) and
 * OCI layout directories. Every member of an archive is streamed into the blob store while hashed;
 * OCI blobs are checked against the digest in their name as they are written.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_NESTING 4
#define SMALL_MAX (16 << 20)

struct member {
	char *name;
	char *digest; /* regular files */
	char *link;   /* symlinks: target, cleaned and relative to the archive root */
	int64_t size;
};

struct source {
	struct capsa_image_store *s;
	int dirfd; /* OCI layout directory, or -1 for an archive */
	struct member *m;
	size_t n;
	char *stem; /* names OCI tags without a repository: localhost/<stem>:<tag> */
};

static void source_clear(struct source *src)
{
	for (size_t i = 0; i < src->n; i++) {
		free(src->m[i].name);
		free(src->m[i].digest);
		free(src->m[i].link);
	}
	free(src->m);
	free(src->stem);
	if (src->dirfd >= 0)
		close(src->dirfd);
}

static const struct member *find_member(const struct source *src, const char *name)
{
	_cleanup_free_ char *cur = NULL;
	_cleanup_error_ struct capsa_error *e = NULL;
	if (capsa_image_clean_path(name, &cur, &e) < 0)
		return NULL;
	for (int depth = 0; depth < 8; depth++) {
		const struct member *hit = NULL;
		for (size_t i = 0; i < src->n && !hit; i++)
			if (!strcmp(src->m[i].name, cur))
				hit = &src->m[i];
		if (hit == NULL || hit->link == NULL)
			return hit;
		free(cur);
		cur = xstrdup(hit->link);
	}
	return NULL;
}

/* ---- reading an archive into the store ---- */

/* Resolves a link target relative to the directory of from (or the archive root) without the file
 * system: ".." pops a component and may not leave the archive. */
static int lexical_resolve(const char *from, const char *target, char **out, struct capsa_error **err)
{
	if (target == NULL || *target == '\0' || target[0] == '/')
		return capsa_error_set(err, 0, "target \"%s\" is empty or absolute", target ? target : "");
	const char *slash = from ? strrchr(from, '/') : NULL;
	_cleanup_free_ char *joined =
		slash ? xasprintf("%.*s/%s", (int)(slash - from), from, target) : xstrdup(target);
	_cleanup_free_ char *res = xmalloc(strlen(joined) + 1);
	size_t n = 0;
	for (char *save = NULL, *c = strtok_r(joined, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			if (n == 0)
				return capsa_error_set(err, 0, "target \"%s\" leaves the archive", target);
			while (n > 0 && res[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			continue;
		}
		if (n)
			res[n++] = '/';
		memcpy(res + n, c, strlen(c));
		n += strlen(c);
	}
	res[n] = '\0';
	*out = TAKE_PTR(res);
	return 0;
}

static int archive_fd_to_members(struct source *src, int fd, const char *what, struct capsa_error **err)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_format_tar(a);
	int ret = -1;
	if (archive_read_open_fd(a, fd, 1 << 20) != ARCHIVE_OK) {
		capsa_error_set(err, 0, "%s: not a tar archive: %s", what, archive_error_string(a));
		goto out;
	}
	for (;;) {
		struct archive_entry *e;
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			capsa_error_set(err, 0, "%s: %s", what, archive_error_string(a));
			goto out;
		}
		_cleanup_free_ char *name = NULL;
		if (capsa_image_clean_path(archive_entry_pathname(e), &name, err) < 0) {
			capsa_error_prefix(err, "%s", what);
			goto out;
		}
		mode_t type = archive_entry_filetype(e);
		if (archive_entry_hardlink(e) || type == AE_IFLNK) {
			const char *to = archive_entry_hardlink(e) ? archive_entry_hardlink(e)
								   : archive_entry_symlink(e);
			bool sym = type == AE_IFLNK && !archive_entry_hardlink(e);
			_cleanup_free_ char *clean = NULL;
			/* Links between members are allowed only when they stay inside the archive. */
			if (lexical_resolve(sym ? name : NULL, to, &clean, err) < 0) {
				capsa_error_prefix(err, "%s: link %s", what, name);
				goto out;
			}
			src->m = xreallocarray(src->m, src->n + 1, sizeof(*src->m));
			src->m[src->n++] = (struct member){.name = TAKE_PTR(name), .link = TAKE_PTR(clean)};
			continue;
		}
		if (type != AE_IFREG)
			continue;
		_cleanup_free_ char *expect = NULL;
		const char *algo = "sha256";
		if (capsa_str_has_prefix(name, "blobs/sha256/") ||
		    capsa_str_has_prefix(name, "blobs/sha512/")) {
			expect = xasprintf("%.6s:%s", name + 6, name + 13);
			if (capsa_digest_validate(expect, err) < 0) {
				capsa_error_prefix(err, "%s: %s", what, name);
				goto out;
			}
			algo = capsa_str_has_prefix(name, "blobs/sha512/") ? "sha512" : "sha256";
		}
		struct blob_writer w;
		if (blob_writer_begin(src->s, algo, &w, err) < 0)
			goto out;
		const void *buf;
		size_t len;
		la_int64_t off;
		for (;;) {
			r = archive_read_data_block(a, &buf, &len, &off);
			if (r == ARCHIVE_EOF)
				break;
			if (r < ARCHIVE_WARN) {
				capsa_error_set(err, 0, "%s: %s: %s", what, name, archive_error_string(a));
				blob_writer_abort(&w);
				goto out;
			}
			if (blob_writer_write(&w, buf, len, err) < 0) {
				blob_writer_abort(&w);
				goto out;
			}
		}
		char *digest = NULL;
		int64_t size = w.size;
		if (blob_writer_commit(&w, expect, -1, &digest, err) < 0) {
			capsa_error_prefix(err, "%s: member %s", what, name);
			goto out;
		}
		src->m = xreallocarray(src->m, src->n + 1, sizeof(*src->m));
		src->m[src->n++] = (struct member){.name = TAKE_PTR(name), .digest = digest, .size = size};
	}
	ret = 0;
out:
	archive_read_free(a);
	return ret;
}

static int read_member(struct source *src, const char *name, char **out, size_t *len,
		       struct capsa_error **err)
{
	if (src->dirfd >= 0) {
		struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW,
				       .resolve = RESOLVE_BENEATH};
		_cleanup_close_ int fd = (int)syscall(SYS_openat2, src->dirfd, name, &how, sizeof(how));
		if (fd < 0)
			return capsa_error_errno(err, "%s", name);
		return capsa_read_fd(fd, SMALL_MAX, out, len, err) < 0 ? capsa_error_prefix(err, "%s", name)
								       : 0;
	}
	const struct member *m = find_member(src, name);
	if (m == NULL || m->digest == NULL)
		return capsa_error_set(err, 0, "%s: not in the archive", name);
	return capsa_image_blob_read(src->s, m->digest, SMALL_MAX, out, len, err);
}

/* Makes sure a descriptor's blob is in the store, verified against its digest and size. */
static int fetch(struct source *src, const struct capsa_descriptor *d, struct capsa_error **err)
{
	if (blob_exists(src->s, d->digest))
		return 0;
	_cleanup_free_ char *path = xasprintf("blobs/%.6s/%s", d->digest, digest_hex(d->digest));
	if (src->dirfd < 0)
		return capsa_error_set(err, 0, "blob %s is not in the archive", d->digest);
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW, .resolve = RESOLVE_BENEATH};
	_cleanup_close_ int fd = (int)syscall(SYS_openat2, src->dirfd, path, &how, sizeof(how));
	if (fd < 0)
		return capsa_error_errno(err, "blob %s", d->digest);
	if (blob_write_fd(src->s, fd, d->digest, d->size, NULL, NULL, err) < 0)
		return capsa_error_prefix(err, "blob %s", path);
	return 0;
}

/* ---- names ---- */

static char *name_from_annotations(const struct source *src, const struct capsa_descriptor *d,
				   const char **tag)
{
	const char *full = NULL, *ref = NULL;
	for (size_t i = 0; i < d->n_annotations; i++) {
		if (!strcmp(d->annotations[i].key, "io.containerd.image.name"))
			full = d->annotations[i].value;
		else if (!strcmp(d->annotations[i].key, "org.opencontainers.image.ref.name"))
			ref = d->annotations[i].value;
	}
	*tag = ref;
	_cleanup_error_ struct capsa_error *e = NULL;
	char *out = NULL;
	if (full && capsa_image_ref_normalize(full, &out, &e) == 0)
		return out;
	capsa_error_clear(&e);
	if (ref == NULL)
		return NULL;
	if (strchr(ref, ':') || strchr(ref, '/'))
		return capsa_image_ref_normalize(ref, &out, &e) == 0 ? out : NULL;
	if (src->stem == NULL)
		return NULL;
	_cleanup_free_ char *n = xasprintf("localhost/%s:%s", src->stem, ref);
	return capsa_image_ref_normalize(n, &out, &e) == 0 ? out : NULL;
}

static char *stem_of(const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);
	size_t n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	char *b = xstrdup(basename(copy));
	static const char *exts[] = {".tar.gz", ".tgz", ".tar.zst", ".tar", ".oci"};
	for (size_t i = 0; i < ARRAY_SIZE(exts); i++) {
		size_t bl = strlen(b), el = strlen(exts[i]);
		if (bl > el && !strcmp(b + bl - el, exts[i])) {
			b[bl - el] = '\0';
			break;
		}
	}
	for (char *c = b; *c; c++) {
		*c = (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' ||
		      *c == '-'))
			*c = '-';
	}
	_cleanup_error_ struct capsa_error *e = NULL;
	_cleanup_free_ char *probe = xasprintf("localhost/%s", b);
	char *norm = NULL;
	if (capsa_image_ref_normalize(probe, &norm, &e) < 0) {
		free(b);
		return NULL;
	}
	free(norm);
	return b;
}

/* ---- OCI layouts ---- */

static int add_image(struct capsa_image_store *s, struct capsa_image **list, size_t *n,
		     struct capsa_image *img)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*list)[i].id, img->id))
			continue;
		for (size_t k = 0; k < img->n_names; k++)
			if (!capsa_strv_contains((*list)[i].names, img->names[k])) {
				capsa_strv_push(&(*list)[i].names, img->names[k]);
				(*list)[i].n_names++;
			}
		image_clear(img);
		return 0;
	}
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = *img;
	memset(img, 0, sizeof(*img));
	(void)s;
	return 0;
}

static int resolve_manifest(struct source *src, const struct capsa_descriptor *d,
			    const struct capsa_platform *plat, int depth, struct capsa_image *out,
			    struct capsa_error **err)
{
	if (depth > MAX_NESTING)
		return capsa_error_set(err, 0, "indexes nested more than %d deep", MAX_NESTING);
	if (fetch(src, d, err) < 0)
		return -1;
	_cleanup_free_ char *json = NULL;
	size_t len;
	if (capsa_image_blob_read(src->s, d->digest, SMALL_MAX, &json, &len, err) < 0)
		return -1;
	enum capsa_manifest_kind kind = capsa_manifest_kind(json, len);
	if (kind == CAPSA_MANIFEST_INDEX) {
		_cleanup_image_index_ struct capsa_image_index *x = NULL;
		const struct capsa_descriptor *pick;
		if (capsa_image_index_parse(json, len, d->digest, &x, err) < 0 ||
		    capsa_image_index_select(x, plat, &pick, err) < 0)
			return -1;
		return resolve_manifest(src, pick, plat, depth + 1, out, err);
	}
	if (kind != CAPSA_MANIFEST_IMAGE)
		return capsa_error_set(err, 0, "%s: neither an image manifest nor an index", d->digest);
	_cleanup_image_manifest_ struct capsa_image_manifest *m = NULL;
	if (capsa_image_manifest_parse(json, len, d->digest, &m, err) < 0)
		return -1;
	if (fetch(src, &m->config, err) < 0)
		return -1;
	for (size_t i = 0; i < m->n_layers; i++)
		if (fetch(src, &m->layers[i], err) < 0)
			return -1;
	return store_image_from_manifest(src->s, d->digest, out, err);
}

static int load_oci(struct source *src, const char *want_tag, const struct capsa_platform *plat,
		    struct capsa_image **list, size_t *n, struct capsa_error **err)
{
	_cleanup_free_ char *layout = NULL, *json = NULL;
	size_t len;
	if (read_member(src, "oci-layout", &layout, &len, err) < 0)
		return -1;
	if (strstr(layout, "\"imageLayoutVersion\"") == NULL)
		return capsa_error_set(err, 0, "oci-layout: missing imageLayoutVersion");
	_cleanup_image_index_ struct capsa_image_index *x = NULL;
	if (read_member(src, "index.json", &json, &len, err) < 0 ||
	    capsa_image_index_parse(json, len, "index.json", &x, err) < 0)
		return -1;
	size_t matched = 0;
	for (size_t i = 0; i < x->n_manifests; i++) {
		const struct capsa_descriptor *d = &x->manifests[i];
		const char *tag = NULL;
		_cleanup_free_ char *name = name_from_annotations(src, d, &tag);
		if (want_tag) {
			bool hit = tag && !strcmp(tag, want_tag);
			if (!hit && name) {
				const char *c = strrchr(name, ':');
				hit = c && !strcmp(c + 1, want_tag);
			}
			if (!hit)
				continue;
		}
		matched++;
		struct capsa_image img;
		_cleanup_free_ char *p = xasprintf("index.json: manifests[%zu]", i);
		if (resolve_manifest(src, d, plat, 0, &img, err) < 0)
			return capsa_error_prefix(err, "%s", p);
		if (name) {
			capsa_strv_push(&img.names, name);
			img.n_names++;
		}
		add_image(src->s, list, n, &img);
	}
	if (want_tag && matched == 0)
		return capsa_error_set(err, 0, "no image tagged \"%s\" in the layout", want_tag);
	if (matched == 0)
		return capsa_error_set(err, 0, "index.json lists no images");
	return 0;
}

/* ---- docker archives ---- */

static int sniff_blob(struct capsa_image_store *s, const char *digest, int *comp, struct capsa_error **err)
{
	_cleanup_close_ int fd = blob_open(s, digest, NULL, err);
	if (fd < 0)
		return -1;
	unsigned char head[8] = {0};
	ssize_t r = pread(fd, head, sizeof(head), 0);
	*comp = sniff_compression(head, r > 0 ? (size_t)r : 0);
	return 0;
}

static int load_docker(struct source *src, struct capsa_image **list, size_t *n, struct capsa_error **err)
{
	_cleanup_free_ char *json = NULL;
	size_t len;
	_cleanup_json_ json_object *o = NULL;
	if (read_member(src, "manifest.json", &json, &len, err) < 0 ||
	    jx_parse(json, len, "manifest.json", &o, err) < 0)
		return -1;
	if (!json_object_is_type(o, json_type_array) || json_object_array_length(o) == 0)
		return capsa_error_set(err, 0, "manifest.json: expected a non-empty array");
	for (size_t i = 0; i < json_object_array_length(o); i++) {
		_cleanup_free_ char *p = xasprintf("manifest.json: [%zu]", i);
		json_object *e = json_object_array_get_idx(o, i);
		_cleanup_free_ char *config = NULL;
		_cleanup_strv_ char **tags = NULL, **layers = NULL;
		size_t ntags = 0, nlayers = 0;
		if (!json_object_is_type(e, json_type_object))
			return capsa_error_set(err, 0, "%s: expected an object", p);
		if (jx_string(e, "Config", p, true, &config, err) < 0 ||
		    jx_strv(e, "RepoTags", p, &tags, &ntags, err) < 0 ||
		    jx_strv(e, "Layers", p, &layers, &nlayers, err) < 0)
			return -1;
		if (layers == NULL)
			return capsa_error_set(err, 0, "%s.Layers: missing", p);
		const struct member *cm = find_member(src, config);
		if (cm == NULL || cm->digest == NULL)
			return capsa_error_set(err, 0, "%s.Config: %s is not in the archive", p, config);
		_cleanup_free_ char *cjson = NULL;
		size_t clen;
		_cleanup_image_config_ struct capsa_image_config *c = NULL;
		if (capsa_image_blob_read(src->s, cm->digest, SMALL_MAX, &cjson, &clen, err) < 0 ||
		    capsa_image_config_parse(cjson, clen, config, &c, err) < 0)
			return -1;
		if (c->n_diff_ids != nlayers)
			return capsa_error_set(err, 0, "%s: %zu layers but the config lists %zu diff_ids", p,
					       nlayers, c->n_diff_ids);
		/* Docker archives carry no manifest: write the OCI manifest the store keeps for the image. */
		_cleanup_json_ json_object *m = json_object_new_object();
		json_object_object_add(m, "schemaVersion", json_object_new_int(2));
		json_object_object_add(m, "mediaType", json_object_new_string(CAPSA_MT_OCI_MANIFEST));
		struct capsa_descriptor cd = {
			.media_type = (char *)CAPSA_MT_OCI_CONFIG, .digest = cm->digest, .size = cm->size};
		json_object_object_add(m, "config", descriptor_to_json(&cd));
		json_object *la = json_object_new_array();
		json_object_object_add(m, "layers", la);
		for (size_t k = 0; k < nlayers; k++) {
			const struct member *lm = find_member(src, layers[k]);
			if (lm == NULL || lm->digest == NULL)
				return capsa_error_set(err, 0, "%s.Layers[%zu]: %s is not in the archive", p,
						       k, layers[k]);
			int comp;
			if (sniff_blob(src->s, lm->digest, &comp, err) < 0)
				return -1;
			const char *mt = layer_media_type_for(comp, false);
			if (mt == NULL)
				return capsa_error_set(err, 0, "%s.Layers[%zu]: unsupported compression", p,
						       k);
			struct capsa_descriptor ld = {
				.media_type = (char *)mt, .digest = lm->digest, .size = lm->size};
			json_object_array_add(la, descriptor_to_json(&ld));
		}
		_cleanup_free_ char *mjson = json_dump(m, false);
		_cleanup_free_ char *mdigest = NULL;
		if (blob_write_mem(src->s, mjson, strlen(mjson), NULL, &mdigest, err) < 0)
			return -1;
		struct capsa_image img;
		if (store_image_from_manifest(src->s, mdigest, &img, err) < 0)
			return capsa_error_prefix(err, "%s", p);
		for (size_t k = 0; k < ntags; k++) {
			_cleanup_free_ char *norm = NULL;
			if (capsa_image_ref_normalize(tags[k], &norm, err) < 0) {
				image_clear(&img);
				return capsa_error_prefix(err, "%s.RepoTags[%zu]", p, k);
			}
			if (!capsa_strv_contains(img.names, norm)) {
				capsa_strv_push(&img.names, norm);
				img.n_names++;
			}
		}
		add_image(src->s, list, n, &img);
	}
	return 0;
}

/* ---- entry point ---- */

int capsa_image_load(struct capsa_image_store *s, const char *input, const struct capsa_image_load_opts *o,
		     char ***loaded, struct capsa_error **err)
{
	static const struct capsa_image_load_opts defaults;
	if (capsa_archive_ready(err) < 0)
		return -1;
	if (o == NULL)
		o = &defaults;
	struct capsa_platform plat;
	if (o->platform) {
		if (capsa_platform_parse(o->platform, &plat, err) < 0)
			return -1;
	} else {
		capsa_platform_host(&plat);
	}
	struct source src = {.s = s, .dirfd = -1};
	struct capsa_image *list = NULL;
	size_t n = 0;
	int ret = -1;
	_cleanup_free_ char *tag = NULL;
	const char *what = input && strcmp(input, "-") ? input : "stdin";

	if (input && capsa_str_has_prefix(input, "oci:")) {
		_cleanup_free_ char *dir = xstrdup(input + 4);
		char *colon = strrchr(dir, ':');
		struct stat st;
		if (colon && !strchr(colon, '/') && !(stat(dir, &st) == 0 && S_ISDIR(st.st_mode))) {
			*colon = '\0';
			tag = xstrdup(colon + 1);
		}
		src.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (src.dirfd < 0) {
			capsa_error_errno(err, "open OCI layout %s", dir);
			goto out;
		}
		src.stem = stem_of(dir);
		if (load_oci(&src, tag, &plat, &list, &n, err) < 0) {
			capsa_error_prefix(err, "%s", dir);
			goto out;
		}
	} else {
		_cleanup_close_ int fd = -1;
		if (input && strcmp(input, "-")) {
			fd = open(input, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				capsa_error_errno(err, "open %s", input);
				goto out;
			}
			struct stat st;
			if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
				capsa_error_set(err, 0,
						"%s is a directory (an OCI layout is loaded as oci:%s)",
						input, input);
				goto out;
			}
			src.stem = stem_of(input);
		}
		if (archive_fd_to_members(&src, input && strcmp(input, "-") ? fd : STDIN_FILENO, what, err) <
		    0)
			goto out;
		if (find_member(&src, "oci-layout") && find_member(&src, "index.json") &&
		    !find_member(&src, "manifest.json")) {
			if (load_oci(&src, NULL, &plat, &list, &n, err) < 0) {
				capsa_error_prefix(err, "%s (oci-archive)", what);
				goto out;
			}
		} else if (find_member(&src, "manifest.json")) {
			if (load_docker(&src, &list, &n, err) < 0) {
				capsa_error_prefix(err, "%s (docker-archive)", what);
				goto out;
			}
		} else if (find_member(&src, "oci-layout") && find_member(&src, "index.json")) {
			if (load_oci(&src, NULL, &plat, &list, &n, err) < 0) {
				capsa_error_prefix(err, "%s (oci-archive)", what);
				goto out;
			}
		} else {
			capsa_error_set(
				err, EINVAL,
				"%s: not an image archive (neither manifest.json of a docker-archive nor "
				"oci-layout and index.json of an oci-archive)",
				what);
			goto out;
		}
	}
	/* Unpack before registering, so a layer that fails verification leaves no image behind. */
	if (!o->no_unpack) {
		for (size_t i = 0; i < n; i++)
			if (capsa_image_unpack(s, &list[i], o->jobs, err) < 0)
				goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (list[i].n_names == 0)
			report_add(loaded, "Loaded image ID: %s", list[i].id);
		for (size_t k = 0; k < list[i].n_names; k++)
			report_add(loaded, "Loaded image: %s", list[i].names[k]);
		store_add_image(s, &list[i]);
	}
	if (store_save(s, err) < 0)
		goto out;
	ret = 0;
out:
	for (size_t i = 0; i < n; i++)
		image_clear(&list[i]);
	free(list);
	source_clear(&src);
	capsa_platform_clear(&plat);
	/* Members that belong to no image (docker's legacy json files, other platforms' blobs) go now. */
	_cleanup_error_ struct capsa_error *gerr = NULL;
	if (store_gc(s, true, NULL, NULL, &gerr) < 0)
		capsa_warn("load: cleaning up blobs: %s", gerr->msg);
	return ret;
}

/* ---- compression ---- */

int sniff_compression(const unsigned char *b, size_t n)
{
	if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		return 'g';
	if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
		return 'z';
	if (n >= 6 && !memcmp(b,
			      "\xfd"
			      "7zXZ\0",
			      6))
		return 'x';
	if (n >= 3 && !memcmp(b, "BZh", 3))
		return 'b';
	return 0;
}

const char *layer_media_type_for(int compression, bool docker)
{
	switch (compression) {
	case 0:
		return docker ? "application/vnd.docker.image.rootfs.diff.tar" : CAPSA_MT_OCI_LAYER;
	case 'g':
		return docker ? CAPSA_MT_DOCKER_LAYER_GZIP : CAPSA_MT_OCI_LAYER_GZIP;
	case 'z':
		return CAPSA_MT_OCI_LAYER_ZSTD;
	default:
		return NULL;
	}
}
