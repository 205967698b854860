/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What `images --format json`, `image inspect` and `image history` show. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <string.h>

static json_object *repo_tags_digests(const struct capsa_image *img, bool digests)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < img->n_names; i++) {
		if (!digests) {
			json_object_array_add(a, json_object_new_string(img->names[i]));
			continue;
		}
		const char *colon = strrchr(img->names[i], ':');
		const char *slash = strrchr(img->names[i], '/');
		size_t rl = colon && (!slash || colon > slash) ? (size_t)(colon - img->names[i])
							       : strlen(img->names[i]);
		_cleanup_free_ char *rd = xasprintf("%.*s@%s", (int)rl, img->names[i], img->manifest);
		bool dup = false;
		for (size_t k = 0; k < json_object_array_length(a); k++)
			dup |= !strcmp(json_object_get_string(json_object_array_get_idx(a, k)), rd);
		if (!dup)
			json_object_array_add(a, json_object_new_string(rd));
	}
	return a;
}

char *capsa_image_list_json(struct capsa_image_store *s, bool all)
{
	_cleanup_json_ json_object *a = json_object_new_array();
	for (size_t i = 0; i < s->n_images; i++) {
		const struct capsa_image *img = &s->images[i];
		if (!all && img->n_names == 0)
			continue;
		json_object *o = json_object_new_object();
		json_object_object_add(o, "Id", json_object_new_string(img->id));
		json_object_object_add(o, "RepoTags", repo_tags_digests(img, false));
		json_object_object_add(o, "RepoDigests", repo_tags_digests(img, true));
		json_object_object_add(o, "Digest", json_object_new_string(img->manifest));
		json_object_object_add(o, "Created",
				       json_object_new_string(img->created ? img->created : ""));
		json_object_object_add(o, "Size", json_object_new_int64(img->size));
		json_object_object_add(o, "Platform",
				       json_object_new_string(img->platform ? img->platform : ""));
		json_object_array_add(a, o);
	}
	return json_dump(a, true);
}

int capsa_image_inspect_json(struct capsa_image_store *s, const struct capsa_image *img, char **json,
			     struct capsa_error **err)
{
	_cleanup_free_ char *raw = NULL;
	size_t len;
	_cleanup_json_ json_object *cfg = NULL;
	if (capsa_image_blob_read(s, img->id, 16 << 20, &raw, &len, err) < 0 ||
	    jx_parse(raw, len, "image config", &cfg, err) < 0)
		return -1;
	_cleanup_image_config_ struct capsa_image_config *c = NULL;
	if (capsa_image_config_parse(raw, len, "image config", &c, err) < 0)
		return -1;
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object_object_add(o, "Id", json_object_new_string(img->id));
	json_object_object_add(o, "RepoTags", repo_tags_digests(img, false));
	json_object_object_add(o, "RepoDigests", repo_tags_digests(img, true));
	json_object_object_add(o, "Digest", json_object_new_string(img->manifest));
	json_object_object_add(o, "Created", json_object_new_string(c->created ? c->created : ""));
	json_object_object_add(o, "Author", json_object_new_string(c->author ? c->author : ""));
	json_object_object_add(o, "Architecture", json_object_new_string(c->architecture));
	if (c->variant)
		json_object_object_add(o, "Variant", json_object_new_string(c->variant));
	json_object_object_add(o, "Os", json_object_new_string(c->os));
	json_object_object_add(o, "Size", json_object_new_int64(img->size));
	json_object *cc = NULL;
	if (json_object_object_get_ex(cfg, "config", &cc) && cc)
		json_object_object_add(o, "Config", json_object_get(cc));
	else
		json_object_object_add(o, "Config", json_object_new_object());
	json_object *rootfs = json_object_new_object();
	json_object_object_add(rootfs, "Type", json_object_new_string("layers"));
	json_object_object_add(rootfs, "Layers", strv_to_json(c->diff_ids, c->n_diff_ids));
	json_object_object_add(o, "RootFS", rootfs);
	json_object *layers = json_object_new_array();
	for (size_t i = 0; i < img->n_layers; i++) {
		const struct capsa_image_layer *L = &img->layers[i];
		json_object *l = json_object_new_object();
		json_object_object_add(l, "Digest", json_object_new_string(L->digest));
		json_object_object_add(l, "MediaType", json_object_new_string(L->media_type));
		json_object_object_add(l, "Size", json_object_new_int64(L->size));
		json_object_object_add(l, "DiffID", json_object_new_string(L->diff_id));
		json_object_object_add(l, "DiffSize", json_object_new_int64(L->diff_size));
		json_object_object_add(l, "Unpacked",
				       json_object_new_boolean(snapshot_exists(s, L->diff_id)));
		json_object_array_add(layers, l);
	}
	json_object_object_add(o, "Layers", layers);
	json_object *h = NULL;
	if (json_object_object_get_ex(cfg, "history", &h) && h)
		json_object_object_add(o, "History", json_object_get(h));
	*json = json_dump(o, true);
	return 0;
}

void capsa_image_history_free(struct capsa_image_history_entry *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].id);
		free(h[i].created);
		free(h[i].created_by);
		free(h[i].comment);
	}
	free(h);
}

int capsa_image_history(struct capsa_image_store *s, const struct capsa_image *img,
			struct capsa_image_history_entry **out, size_t *n, struct capsa_error **err)
{
	_cleanup_image_config_ struct capsa_image_config *c = NULL;
	if (capsa_image_get_config(s, img, &c, err) < 0)
		return -1;
	size_t cnt = c->n_history ? c->n_history : img->n_layers;
	struct capsa_image_history_entry *h = xcalloc(cnt ? cnt : 1, sizeof(*h));
	size_t layer = 0;
	for (size_t i = 0; i < cnt; i++) {
		/* Newest first, like docker history. */
		struct capsa_image_history_entry *e = &h[cnt - 1 - i];
		const struct capsa_history *src = c->n_history ? &c->history[i] : NULL;
		bool empty = src && src->empty_layer;
		if (!empty && layer < img->n_layers) {
			e->id = xstrdup(img->layers[layer].diff_id);
			e->size = img->layers[layer].diff_size;
			layer++;
		} else {
			e->id = xstrdup("<missing>");
		}
		e->created = xstrdup(src && src->created ? src->created : (c->created ? c->created : ""));
		e->created_by = xstrdup(src && src->created_by ? src->created_by : "");
		e->comment = xstrdup(src && src->comment ? src->comment : "");
	}
	*out = h;
	*n = cnt;
	return 0;
}
