// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The compiled-filter cache behind capsa_seccomp_prepare_cached (see seccomp.h). An entry is
 * @seccomp-cache/<FNV-1a of the key, 16 hex digits>: "CAPSASKC", the key's length (u32), the key, then the
 * filter in capsa_seccomp_encode's format. The file name only finds the entry; the whole key is compared,
 * so two profiles can never share a filter. Written without fsync (temp + rename): after a crash an entry is
 * whole or absent, and a torn one fails its checks and is compiled again.
 */
#define _GNU_SOURCE
#include "runtime/seccomp.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "@" is not allowed in a container id: no container can own this name. */
#define CACHE_DIR "@seccomp-cache"
#define CACHE_MAGIC "CAPSASKC"
#define CACHE_MAX_ENTRIES 256
#define KEY_MAX (4u << 20)

struct kbuf {
	char *s;
	size_t len, cap;
};

static void kput(struct kbuf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
}

static void kput_u64(struct kbuf *b, uint64_t v)
{
	kput(b, &v, sizeof(v));
}

/* A string as its length and bytes; NULL apart from "" (a tag byte first). */
static void kput_str(struct kbuf *b, const char *s)
{
	kput(b, s ? "s" : "n", 1);
	if (s) {
		kput_u64(b, strlen(s));
		kput(b, s, strlen(s));
	}
}

static void kput_opt(struct kbuf *b, const struct oci_opt_u64 *o)
{
	kput(b, o->set ? "y" : "-", 1);
	kput_u64(b, o->set ? o->value : 0);
}

char *capsa_seccomp_cache_key(const struct oci_seccomp *s, size_t *len)
{
	struct kbuf b = {0};
	const struct scmp_version *v = seccomp_version();
	char head[96];
	int n = snprintf(head, sizeof(head), "capsa-seccomp-key 2 libseccomp %u.%u.%u arch %u filter %zu",
			 v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0, seccomp_arch_native(),
			 sizeof(struct sock_filter));
	kput(&b, head, (size_t)n + 1);
	kput_str(&b, s->default_action);
	kput_opt(&b, &s->default_errno_ret);
	kput_u64(&b, s->n_architectures);
	for (size_t i = 0; i < s->n_architectures; i++)
		kput_str(&b, s->architectures[i]);
	kput_u64(&b, s->n_flags);
	for (size_t i = 0; i < s->n_flags; i++)
		kput_str(&b, s->flags[i]);
	kput_str(&b, s->listener_path);
	kput_str(&b, s->listener_metadata);
	kput_u64(&b, s->n_syscalls);
	for (size_t i = 0; i < s->n_syscalls; i++) {
		const struct oci_seccomp_syscall *sc = &s->syscalls[i];
		kput_u64(&b, sc->n_names);
		for (size_t j = 0; j < sc->n_names; j++)
			kput_str(&b, sc->names[j]);
		kput_str(&b, sc->action);
		kput_opt(&b, &sc->errno_ret);
		kput_u64(&b, sc->n_args);
		for (size_t j = 0; j < sc->n_args; j++) {
			kput_u64(&b, sc->args[j].index);
			kput_u64(&b, sc->args[j].value);
			kput_u64(&b, sc->args[j].value_two);
			kput_str(&b, sc->args[j].op);
		}
	}
	*len = b.len;
	return b.s;
}

/* The entry's filter when its key is exactly key; NULL (a miss) for anything else. */
static struct capsa_seccomp *cache_read(int dirfd, const char *name, const char *key, size_t key_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	struct capsa_error *e = NULL;
	struct capsa_seccomp *f = NULL;
	const size_t max = 12 + key_len + 64 + BPF_MAXINSNS * sizeof(struct sock_filter);
	if (capsa_read_file_at(dirfd, name, max, &buf, &len, &e) < 0) {
		capsa_error_free(e);
		return NULL;
	}
	uint32_t klen;
	if (len < 12 || memcmp(buf, CACHE_MAGIC, 8) != 0)
		goto bad;
	memcpy(&klen, buf + 8, sizeof(klen));
	if (klen != key_len || len - 12 < key_len || memcmp(buf + 12, key, key_len) != 0)
		goto bad;
	if (capsa_seccomp_decode(buf + 12 + key_len, len - 12 - key_len, name, &f, &e) < 0)
		goto bad;
	return f;
bad:
	capsa_debug("seccomp cache: %s: %s; compiling again", name, e ? e->msg : "not this profile");
	capsa_error_free(e);
	return NULL;
}

static bool cache_full(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	size_t n = 0;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return true;
	}
	for (struct dirent *de; (de = readdir(d));)
		n += de->d_name[0] != '.';
	closedir(d);
	return n >= CACHE_MAX_ENTRIES;
}

/* Best effort: a cache that cannot be written only costs the next create a compile. */
static void cache_write(int dirfd, const char *name, const char *key, size_t key_len,
			const struct capsa_seccomp *f)
{
	if (cache_full(dirfd)) {
		capsa_debug("seccomp cache: %d entries, not adding %s", CACHE_MAX_ENTRIES, name);
		return;
	}
	size_t flen;
	_cleanup_free_ char *filter = capsa_seccomp_encode(f, &flen);
	uint32_t klen = (uint32_t)key_len;
	_cleanup_free_ char *tmp = xasprintf(".%s.%d", name, (int)getpid());
	_cleanup_close_ int fd =
		openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	bool ok = capsa_write_all(fd, CACHE_MAGIC, 8) == 8 && capsa_write_all(fd, &klen, 4) == 4 &&
		  capsa_write_all(fd, key, key_len) == (ssize_t)key_len &&
		  capsa_write_all(fd, filter, flen) == (ssize_t)flen;
	if (!ok || renameat(dirfd, tmp, dirfd, name) < 0)
		(void)unlinkat(dirfd, tmp, 0);
}

int capsa_seccomp_prepare_cached(const struct oci_seccomp *s, const char *root, struct capsa_seccomp **out,
				 struct capsa_error **err)
{
	if (root == NULL || s->n_flags || s->listener_path)
		return capsa_seccomp_prepare(s, out, err);
	/* Not there before the first container is made: that one compiles. */
	_cleanup_close_ int root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return capsa_seccomp_prepare(s, out, err);
	size_t key_len;
	_cleanup_free_ char *key = capsa_seccomp_cache_key(s, &key_len);
	if (key_len > KEY_MAX)
		return capsa_seccomp_prepare(s, out, err);
	char name[17];
	snprintf(name, sizeof(name), "%016llx", (unsigned long long)capsa_fnv1a64(key, key_len));
	if (mkdirat(root_fd, CACHE_DIR, 0700) < 0 && errno != EEXIST)
		return capsa_seccomp_prepare(s, out, err);
	_cleanup_close_ int dirfd =
		openat(root_fd, CACHE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0)
		return capsa_seccomp_prepare(s, out, err);
	struct capsa_seccomp *f = cache_read(dirfd, name, key, key_len);
	if (f) {
		*out = f;
		return 0;
	}
	if (capsa_seccomp_prepare(s, &f, err) < 0)
		return -1;
	if (capsa_seccomp_flags(f) == 0 && !capsa_seccomp_has_notify(f))
		cache_write(dirfd, name, key, key_len, f);
	*out = f;
	return 0;
}
