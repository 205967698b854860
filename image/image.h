/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * capsa's image library: a content-addressed store of OCI and Docker images,
 * loading and saving archives, layer unpacking into per-layer snapshots, the
 * rootfs of a container (overlayfs or a flattened copy) and the translation of an
 * image config into runtime-spec pieces.
 *
 * Store layout under the root (default /var/lib/capsa):
 *   lock                      flock: shared for readers, exclusive for writers
 *   images.json               names -> images (manifest, config, layers)
 *   blobs/sha256/<hex>        verified blobs (manifests, configs, layers)
 *   snapshots/<diffid hex>/fs one unpacked layer in overlayfs form, shared by images
 *   rootfs/<container id>/    per-container upper, work and mount point
 *   tmp/                      partial blobs and snapshots, removed on failure and by prune
 */
#ifndef CAPSA_IMAGE_H
#define CAPSA_IMAGE_H

#include "common/error.h"
#include "oci-spec/oci-spec.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CAPSA_IMAGE_DEFAULT_ROOT "/var/lib/capsa"

/* ---- references ---------------------------------------------------------------------------------- */

/* A normalised reference: `busybox` is domain docker.io, path library/busybox, tag latest. */
struct capsa_image_ref {
	char *domain;
	char *path;
	char *tag;    /* NULL when only a digest was given */
	char *digest; /* "sha256:<hex>" or NULL */
};

int capsa_image_ref_parse(const char *s, struct capsa_image_ref **out, struct capsa_error **err) CAPSA_WUR;
void capsa_image_ref_free(struct capsa_image_ref *r);
/* "docker.io/library/busybox:latest" (or "repo@digest", or "repo:tag@digest"). Caller frees. */
char *capsa_image_ref_string(const struct capsa_image_ref *r);
/* "docker.io/library/busybox". Caller frees. */
char *capsa_image_ref_repo(const struct capsa_image_ref *r);
/* Parses and returns the normalised string in one step. */
int capsa_image_ref_normalize(const char *s, char **out, struct capsa_error **err) CAPSA_WUR;

/* ---- digests ------------------------------------------------------------------------------------- */

/* Checks "sha256:<64 lowercase hex>" or "sha512:<128 lowercase hex>". */
int capsa_digest_validate(const char *digest, struct capsa_error **err) CAPSA_WUR;
/* sha256 of a buffer as "sha256:<hex>". Caller frees. */
char *capsa_digest_sha256(const void *data, size_t len);

/* ---- platforms ----------------------------------------------------------------------------------- */

struct capsa_platform {
	char *os;
	char *architecture;
	char *variant;
	char *os_version;
};

/* "linux/amd64", "linux/arm64/v8", "amd64" (os linux). */
int capsa_platform_parse(const char *s, struct capsa_platform *out, struct capsa_error **err) CAPSA_WUR;
void capsa_platform_clear(struct capsa_platform *p);
/* The host's platform (linux/<GOARCH name>). */
void capsa_platform_host(struct capsa_platform *out);
/* Whether an index entry's platform satisfies the wanted one (variant only checked when wanted sets it;
 * arm64 treats an empty variant as v8). */
bool capsa_platform_match(const struct capsa_platform *want, const struct capsa_platform *have);

/* ---- manifests, indexes and configs -------------------------------------------------------------- */

#define CAPSA_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define CAPSA_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define CAPSA_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define CAPSA_MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define CAPSA_MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define CAPSA_MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define CAPSA_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define CAPSA_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define CAPSA_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define CAPSA_MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define CAPSA_MT_DOCKER_LAYER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

struct capsa_kv {
	char *key;
	char *value;
};

struct capsa_descriptor {
	char *media_type;
	char *digest;
	int64_t size;
	struct capsa_platform *platform; /* index entries only */
	struct capsa_kv *annotations;
	size_t n_annotations;
};

struct capsa_image_manifest {
	int schema_version;
	char *media_type;
	struct capsa_descriptor config;
	struct capsa_descriptor *layers;
	size_t n_layers;
};

struct capsa_image_index {
	int schema_version;
	char *media_type;
	struct capsa_descriptor *manifests;
	size_t n_manifests;
};

enum capsa_manifest_kind {
	CAPSA_MANIFEST_UNKNOWN = 0,
	CAPSA_MANIFEST_IMAGE,
	CAPSA_MANIFEST_INDEX,
};

struct capsa_healthcheck {
	char **test;
	size_t n_test;
	int64_t interval, timeout, start_period, start_interval; /* nanoseconds */
	int64_t retries;
};

struct capsa_history {
	char *created;
	char *created_by;
	char *author;
	char *comment;
	bool empty_layer;
};

struct capsa_image_config {
	char *created;
	char *author;
	char *architecture;
	char *os;
	char *variant;
	/* config */
	char *user;
	char **env;
	size_t n_env;
	char **entrypoint; /* NULL when absent, distinguishable from [] (n=0, non-NULL) */
	size_t n_entrypoint;
	char **cmd;
	size_t n_cmd;
	char *working_dir;
	char **exposed_ports; /* "80/tcp" */
	size_t n_exposed_ports;
	char **volumes;
	size_t n_volumes;
	struct capsa_kv *labels;
	size_t n_labels;
	char *stop_signal;
	char **shell;
	size_t n_shell;
	struct capsa_healthcheck *healthcheck;
	/* rootfs */
	char **diff_ids;
	size_t n_diff_ids;
	struct capsa_history *history;
	size_t n_history;
};

/* Which of the two a JSON blob is (mediaType first, then the shape). */
enum capsa_manifest_kind capsa_manifest_kind(const char *json, size_t len);
int capsa_image_manifest_parse(const char *json, size_t len, const char *name,
			       struct capsa_image_manifest **out, struct capsa_error **err) CAPSA_WUR;
void capsa_image_manifest_free(struct capsa_image_manifest *m);
int capsa_image_index_parse(const char *json, size_t len, const char *name, struct capsa_image_index **out,
			    struct capsa_error **err) CAPSA_WUR;
void capsa_image_index_free(struct capsa_image_index *x);
int capsa_image_config_parse(const char *json, size_t len, const char *name, struct capsa_image_config **out,
			     struct capsa_error **err) CAPSA_WUR;
void capsa_image_config_free(struct capsa_image_config *c);
/* Picks the entry of an index for a platform; -1 with a message listing what the index offers. */
int capsa_image_index_select(const struct capsa_image_index *x, const struct capsa_platform *want,
			     const struct capsa_descriptor **out, struct capsa_error **err) CAPSA_WUR;
/* Applies one Dockerfile-style instruction (CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, VOLUME, LABEL,
 * STOPSIGNAL) to a config, as `import --change` does. */
int capsa_image_config_change(struct capsa_image_config *c, const char *change,
			      struct capsa_error **err) CAPSA_WUR;
/* Serialises a config (OCI image config JSON). Caller frees. */
char *capsa_image_config_to_json(const struct capsa_image_config *c);

/* ---- path rules for unpacking (exposed for tests) ------------------------------------------------- */

/* Normalises a tar member name into a relative path without "." or empty components ("" is the root).
 * Rejects absolute paths, ".." components, NUL-free overlong names. */
int capsa_image_clean_path(const char *name, char **out, struct capsa_error **err) CAPSA_WUR;

enum capsa_whiteout {
	CAPSA_WHITEOUT_NONE = 0,
	CAPSA_WHITEOUT_FILE,   /* .wh.NAME: NAME is deleted */
	CAPSA_WHITEOUT_OPAQUE, /* .wh..wh..opq: the directory hides lower layers */
	CAPSA_WHITEOUT_META,   /* other .wh..wh.* entries (aufs bookkeeping): ignored */
};
/* Classifies the last component of a cleaned path; for FILE, *target is the hidden name. */
enum capsa_whiteout capsa_image_whiteout(const char *base, const char **target);

/* ---- the store ----------------------------------------------------------------------------------- */

struct capsa_image_store;

struct capsa_image_layer {
	char *digest; /* blob */
	char *media_type;
	int64_t size;
	char *diff_id;
	int64_t diff_size; /* uncompressed tar bytes, 0 until unpacked */
};

struct capsa_image {
	char *id;	/* config digest */
	char *manifest; /* manifest digest */
	char **names;	/* normalised references, NULL-terminated */
	size_t n_names;
	char *created;	/* from the config */
	char *platform; /* "linux/amd64" */
	int64_t size;	/* sum of the layers' uncompressed sizes */
	struct capsa_image_layer *layers;
	size_t n_layers;
};

/* $CAPSA_ROOT or /var/lib/capsa. */
const char *capsa_image_default_root(void);
/* Opens (creating) the store and takes its lock: exclusive when write is set, shared otherwise. */
int capsa_image_store_open(const char *root, bool write, struct capsa_image_store **out,
			   struct capsa_error **err) CAPSA_WUR;
void capsa_image_store_close(struct capsa_image_store *s);
const char *capsa_image_store_root(const struct capsa_image_store *s);
/* The images, in load order. The array stays owned by the store. */
const struct capsa_image *capsa_image_store_images(const struct capsa_image_store *s, size_t *n);
/* Finds an image by name (normalised), name@digest, full or short id (sha256:... or hex prefix). */
int capsa_image_lookup(struct capsa_image_store *s, const char *ref, const struct capsa_image **out,
		       struct capsa_error **err) CAPSA_WUR;
/* Reads a verified blob into memory (max bytes, 0 = 64 MiB). */
int capsa_image_blob_read(struct capsa_image_store *s, const char *digest, size_t max, char **out,
			  size_t *len, struct capsa_error **err) CAPSA_WUR;
int capsa_image_get_config(struct capsa_image_store *s, const struct capsa_image *img,
			   struct capsa_image_config **out, struct capsa_error **err) CAPSA_WUR;

/* ---- load, save, import, tag, remove ------------------------------------------------------------- */

struct capsa_image_load_opts {
	const char *platform; /* NULL: the host's */
	int jobs;	      /* parallel layer unpacks; 0 = number of CPUs */
	bool no_unpack;	      /* store blobs only; snapshots are made on first use */
};

/* input: "-" (stdin), a docker-archive or oci-archive file (detected by content), or "oci:DIR[:TAG]".
 * On success *loaded lists "Loaded image: NAME" / "Loaded image ID: ID" lines (NULL-terminated). */
int capsa_image_load(struct capsa_image_store *s, const char *input, const struct capsa_image_load_opts *o,
		     char ***loaded, struct capsa_error **err) CAPSA_WUR;

enum capsa_archive_format {
	CAPSA_ARCHIVE_DOCKER = 0,
	CAPSA_ARCHIVE_OCI,
};
/* output "-" writes to stdout. */
int capsa_image_save(struct capsa_image_store *s, char *const *refs, size_t n_refs, const char *output,
		     enum capsa_archive_format format, struct capsa_error **err) CAPSA_WUR;
int capsa_archive_format_parse(const char *s, enum capsa_archive_format *out,
			       struct capsa_error **err) CAPSA_WUR;

/* libarchive is loaded at its first use: whether it can be (every archive reader and writer checks first,
 * so a host without it gets this error before anything is made, not an exit half-way). */
int capsa_archive_ready(struct capsa_error **err) CAPSA_WUR;

/* src: a rootfs tarball (any compression, "-" for stdin) or a directory. name may be NULL (untagged).
 * *id receives the new image id. */
int capsa_image_import(struct capsa_image_store *s, const char *src, const char *name, char *const *changes,
		       size_t n_changes, char **id, struct capsa_error **err) CAPSA_WUR;
int capsa_image_tag(struct capsa_image_store *s, const char *src, const char *target,
		    struct capsa_error **err) CAPSA_WUR;
/* Untags a name, or deletes an image given by id. Refuses when a container's rootfs uses the image
 * or an id has several names, unless force. *report gets "Untagged: X" / "Deleted: ID" lines. */
int capsa_image_remove(struct capsa_image_store *s, const char *ref, bool force, char ***report,
		       struct capsa_error **err) CAPSA_WUR;
/* Removes untagged images (all images not used by a container with all), then unreferenced blobs,
 * snapshots and leftovers in tmp/. */
int capsa_image_prune(struct capsa_image_store *s, bool all, char ***report, uint64_t *reclaimed,
		      struct capsa_error **err) CAPSA_WUR;
/* `images --format json`: an array (untagged images only with all). Caller frees. */
char *capsa_image_list_json(struct capsa_image_store *s, bool all);
/* `image inspect` JSON (an object, docker-like field names). Caller frees. */
int capsa_image_inspect_json(struct capsa_image_store *s, const struct capsa_image *img, char **json,
			     struct capsa_error **err) CAPSA_WUR;

struct capsa_image_history_entry {
	char *id; /* layer diff_id or "<missing>" */
	char *created;
	char *created_by;
	char *comment;
	int64_t size;
};
int capsa_image_history(struct capsa_image_store *s, const struct capsa_image *img,
			struct capsa_image_history_entry **out, size_t *n,
			struct capsa_error **err) CAPSA_WUR;
void capsa_image_history_free(struct capsa_image_history_entry *h, size_t n);

/* ---- layers and snapshots ------------------------------------------------------------------------ */

struct capsa_unpack_limits {
	uint64_t max_entries; /* 0 = 1,000,000 */
	uint64_t max_bytes;   /* uncompressed; 0 = 64 GiB */
	uint64_t max_ratio;   /* uncompressed/compressed, checked past 32 MiB; 0 = 200 */
	uint32_t uid_shift, gid_shift,
		id_range; /* id mapping for user namespaces: id -> shift+id, id < range */
};

/* Unpacks one layer blob into dirfd (an empty directory) in overlayfs form, verifying the diff_id.
 * *diff_size receives the uncompressed size. Used by the store and by tests. */
int capsa_image_unpack_layer(int blobfd, int64_t blob_size, int dirfd, const char *diff_id,
			     const struct capsa_unpack_limits *lim, int64_t *diff_size,
			     struct capsa_error **err) CAPSA_WUR;
/* Makes sure every layer of img has a snapshot (unpacking missing ones, in parallel). */
int capsa_image_unpack(struct capsa_image_store *s, const struct capsa_image *img, int jobs,
		       struct capsa_error **err) CAPSA_WUR;
/* Copies overlay-form layer dirs (lowest first) into dstfd, applying whiteouts and opaque dirs. */
int capsa_image_flatten(const int *layerfds, size_t n, int dstfd, struct capsa_error **err) CAPSA_WUR;

/* ---- rootfs for a container ---------------------------------------------------------------------- */

struct capsa_image_rootfs {
	char *path;	       /* the rootfs to give the runtime */
	char *dir;	       /* rootfs/<container id> under the store */
	bool overlay;	       /* false: a flattened copy */
	char *fallback_reason; /* why overlay was not used, or NULL */
};

struct capsa_rootfs_opts {
	bool no_overlay; /* force a flattened copy */
};

/* Creates rootfs/<cid>/ for the image and mounts it (overlayfs: the layer snapshots as lowerdirs,
 * upper and work dirs under rootfs/<cid>/), or copies the layers when overlay is unavailable. */
int capsa_image_rootfs_prepare(struct capsa_image_store *s, const char *ref, const char *cid,
			       const struct capsa_rootfs_opts *o, struct capsa_image_rootfs **out,
			       struct capsa_error **err) CAPSA_WUR;
/* Mounts an existing container's overlay again (after a reboot); a flattened rootfs needs nothing. */
int capsa_image_rootfs_mount(struct capsa_image_store *s, const char *cid, struct capsa_image_rootfs **out,
			     struct capsa_error **err) CAPSA_WUR;
int capsa_image_rootfs_unmount(struct capsa_image_store *s, const char *cid,
			       struct capsa_error **err) CAPSA_WUR;
/* Unmounts and deletes rootfs/<cid>/ (the container's changes are lost). */
int capsa_image_rootfs_remove(struct capsa_image_store *s, const char *cid,
			      struct capsa_error **err) CAPSA_WUR;
void capsa_image_rootfs_free(struct capsa_image_rootfs *r);

/* ---- image config to runtime spec ---------------------------------------------------------------- */

struct capsa_image_overrides {
	char **entrypoint; /* non-NULL replaces the image's (an empty array clears it) */
	size_t n_entrypoint;
	char **cmd; /* non-NULL replaces the image's Cmd */
	size_t n_cmd;
	char **env; /* "K=V" added or replacing; "K" alone removes */
	size_t n_env;
	const char *user; /* "name", "uid", "name:group", "uid:gid" */
	const char *workdir;
};

struct capsa_image_runtime {
	struct oci_process process; /* args, env, cwd, user filled; the rest zero */
	char **exposed_ports;
	size_t n_exposed_ports;
	char **volumes;
	size_t n_volumes;
	int stop_signal; /* SIGTERM when the image has none */
	struct capsa_kv *labels;
	size_t n_labels;
	struct capsa_healthcheck *healthcheck; /* NULL when absent; kept for inspect */
};

/* rootfs_dirfd: the prepared rootfs, used to resolve user and group names through its /etc/passwd and
 * /etc/group (opened with RESOLVE_IN_ROOT); -1 resolves through the layer snapshots instead. */
int capsa_image_runtime_config(struct capsa_image_store *s, const struct capsa_image *img, int rootfs_dirfd,
			       const struct capsa_image_overrides *o, struct capsa_image_runtime **out,
			       struct capsa_error **err) CAPSA_WUR;
void capsa_image_runtime_free(struct capsa_image_runtime *r);
/* The pure part: builds the runtime pieces from a parsed config and the passwd/group texts (may be NULL). */
int capsa_image_config_to_runtime(const struct capsa_image_config *c, const struct capsa_image_overrides *o,
				  const char *passwd, const char *group, struct capsa_image_runtime **out,
				  struct capsa_error **err) CAPSA_WUR;
/* Resolves "user[:group]" (names or numbers) through passwd/group texts; fills uid, gid and the
 * supplementary groups the user is a member of. */
int capsa_image_resolve_user(const char *spec, const char *passwd, const char *group, struct oci_user *out,
			     struct capsa_error **err) CAPSA_WUR;

/* ---- registries: pulling (image/registry*.c, image/auth*.c) ------------------------------------- */

/* One challenge of a WWW-Authenticate header: the scheme ("Bearer", "Basic") as sent, and its parameters
 * with lowercased names (a token68 challenge has one parameter named ""). */
struct capsa_auth_challenge {
	char *scheme;
	struct capsa_kv *params;
	size_t n_params;
};
/* Parses every challenge of a header (RFC 7235: quoted strings with escapes, commas inside quotes,
 * several challenges in one header). */
int capsa_www_authenticate_parse(const char *header, struct capsa_auth_challenge **out, size_t *n,
				 struct capsa_error **err) CAPSA_WUR;
void capsa_auth_challenges_free(struct capsa_auth_challenge *c, size_t n);
/* The value of a parameter (name compared case-insensitively), or NULL. */
const char *capsa_auth_param(const struct capsa_auth_challenge *c, const char *name);
/* The first challenge with this scheme (case-insensitive), or NULL. */
const struct capsa_auth_challenge *capsa_auth_find(const struct capsa_auth_challenge *c, size_t n,
						   const char *scheme);

/* Credentials for a registry from a docker config.json text ("auths": {"HOST": {"auth": base64(user:pass)}}
 * or "username"/"password"). Returns 1 when found, 0 when the file has none for that registry. */
int capsa_registry_auth_lookup(const char *json, size_t len, const char *domain, char **user, char **pass,
			       struct capsa_error **err) CAPSA_WUR;
/* $REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json, else ~/.docker/config.json. Caller frees. */
char *capsa_registry_auth_file(void);
/* Reads the credentials for domain from authfile (NULL: the default); a missing file has none. */
int capsa_registry_auth_get(const char *authfile, const char *domain, char **user, char **pass,
			    struct capsa_error **err) CAPSA_WUR;
/* Adds (user non-NULL) or removes credentials for domain in authfile, keeping its other content.
 * Removing returns 0 when there were none. */
int capsa_registry_auth_set(const char *authfile, const char *domain, const char *user, const char *pass,
			    struct capsa_error **err) CAPSA_WUR;
/* The bearer token in a token endpoint's JSON answer ("token", else "access_token"). */
int capsa_registry_token_parse(const char *json, size_t len, char **token,
			       struct capsa_error **err) CAPSA_WUR;

/* docker.io is served by registry-1.docker.io; everything else by its own name. */
const char *capsa_registry_host(const char *domain);
/* localhost, 127.0.0.0/8 or [::1], with or without a port. */
bool capsa_registry_is_loopback(const char *domain);
/* "SCHEME://HOST/v2/PATH/KIND/REFERENCE" (kind "manifests" or "blobs"). Caller frees. */
char *capsa_registry_url(const char *scheme, const char *domain, const char *path, const char *kind,
			 const char *reference);
/* The Accept header for manifests: OCI index and manifest, Docker list and manifest. */
extern const char capsa_registry_accept[];

enum capsa_registry_mt {
	CAPSA_REGISTRY_MT_UNKNOWN = 0,
	CAPSA_REGISTRY_MT_IMAGE,
	CAPSA_REGISTRY_MT_INDEX,
	CAPSA_REGISTRY_MT_SCHEMA1,
};
/* What a manifest response is, from its Content-Type (parameters and case ignored) checked against the
 * body's own mediaType and shape. Schema 1 is reported as such (and refused by the caller). */
int capsa_registry_manifest_type(const char *content_type, const char *body, size_t len,
				 enum capsa_registry_mt *out, struct capsa_error **err) CAPSA_WUR;
/* A registry's error answer as text: the OCI "errors" array as "code words: message" (docker-like,
 * "manifest unknown: manifest unknown"), else the HTTP status. Caller frees. */
char *capsa_registry_error_text(long status, const char *body, size_t len);

enum capsa_pull_event_kind {
	CAPSA_PULL_RESOLVED,	     /* the manifest is known: digest is the reference's digest */
	CAPSA_PULL_LAYER_WAITING,    /* "Pulling fs layer" */
	CAPSA_PULL_LAYER_EXISTS,     /* "Already exists" */
	CAPSA_PULL_LAYER_PROGRESS,   /* done of total bytes */
	CAPSA_PULL_LAYER_VERIFYING,  /* "Verifying Checksum" */
	CAPSA_PULL_LAYER_DOWNLOADED, /* "Download complete" */
	CAPSA_PULL_LAYER_RETRY,	     /* msg says why */
	CAPSA_PULL_LAYER_EXTRACTED,  /* "Pull complete" */
	CAPSA_PULL_DONE,	     /* digest; msg "Downloaded newer image" or "Image is up to date" */
	CAPSA_PULL_MISSING,	     /* sent by callers pulling what the store lacks (run --pull missing) */
};
struct capsa_pull_event {
	enum capsa_pull_event_kind kind;
	const char *digest;
	int64_t done, total;
	const char *msg;
};

struct capsa_pull_opts {
	const char *platform; /* NULL: the host's */
	bool insecure;	      /* --tls-verify=false: plain HTTP allowed, certificates not checked */
	const char *authfile; /* NULL: capsa_registry_auth_file() */
	int attempts;	      /* per blob; 0 = 3 */
	void (*progress)(void *ctx, const struct capsa_pull_event *ev);
	void *progress_ctx;
};

struct capsa_pull_result {
	char *name;   /* normalised reference pulled */
	char *digest; /* digest of what the reference names (an index or a manifest) */
	char *id;     /* image id (config digest) */
	bool up_to_date;
	int64_t downloaded; /* blob bytes fetched */
};
void capsa_pull_result_clear(struct capsa_pull_result *r);

/* Checks credentials against a registry's /v2/ (answering its challenge with them). */
int capsa_registry_login(const char *domain, const char *user, const char *pass, bool insecure,
			 struct capsa_error **err) CAPSA_WUR;

/* Pulls ref into the store (opened for writing): verified blobs, unpacked layers, then the name. */
int capsa_image_pull(struct capsa_image_store *s, const char *ref, const struct capsa_pull_opts *o,
		     struct capsa_pull_result *out, struct capsa_error **err) CAPSA_WUR;

/* ---- cleanup helpers ----------------------------------------------------------------------------- */

static inline void capsa_image_store_closep(struct capsa_image_store **s)
{
	if (*s)
		capsa_image_store_close(*s);
}
static inline void capsa_image_ref_freep(struct capsa_image_ref **r)
{
	capsa_image_ref_free(*r);
}
static inline void capsa_image_config_freep(struct capsa_image_config **c)
{
	capsa_image_config_free(*c);
}
static inline void capsa_image_manifest_freep(struct capsa_image_manifest **m)
{
	capsa_image_manifest_free(*m);
}
static inline void capsa_image_index_freep(struct capsa_image_index **x)
{
	capsa_image_index_free(*x);
}
#define _cleanup_image_store_ __attribute__((cleanup(capsa_image_store_closep)))
#define _cleanup_image_ref_ __attribute__((cleanup(capsa_image_ref_freep)))
#define _cleanup_image_config_ __attribute__((cleanup(capsa_image_config_freep)))
#define _cleanup_image_manifest_ __attribute__((cleanup(capsa_image_manifest_freep)))
#define _cleanup_image_index_ __attribute__((cleanup(capsa_image_index_freep)))

#endif
