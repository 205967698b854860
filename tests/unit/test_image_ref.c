/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Image references: docker's normalisation and the grammar's corner cases. */
#include "image/image.h"
#include "common/cleanup.h"
#include "tests/unit/tap.h"

static void good(const char *in, const char *want)
{
	_cleanup_free_ char *out = NULL;
	struct capsa_error *err = NULL;
	int r = capsa_image_ref_normalize(in, &out, &err);
	if (!ok(r == 0, "parse %s", in))
		printf("#   error: %s\n", err ? err->msg : "?");
	is_str(out, want, "%s normalises to %s", in, want);
	capsa_error_free(err);
}

static void bad(const char *in, const char *why)
{
	_cleanup_free_ char *out = NULL;
	struct capsa_error *err = NULL;
	int r = capsa_image_ref_normalize(in, &out, &err);
	ok(r == -1 && err && strstr(err->msg, why), "reject \"%s\": %s", in, why);
	if (err && !strstr(err->msg, why))
		printf("#   got: %s\n", err->msg);
	capsa_error_free(err);
}

int main(void)
{
	const char *d = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	_cleanup_free_ char *with_digest = xasprintf("busybox@%s", d);
	_cleanup_free_ char *with_digest_want = xasprintf("docker.io/library/busybox@%s", d);
	_cleanup_free_ char *tag_digest = xasprintf("quay.io/a/b:v1@%s", d);

	good("busybox", "docker.io/library/busybox:latest");
	good("busybox:1.36", "docker.io/library/busybox:1.36");
	good("library/busybox", "docker.io/library/busybox:latest");
	good("docker.io/busybox", "docker.io/library/busybox:latest");
	good("index.docker.io/busybox", "docker.io/library/busybox:latest");
	good("user/repo", "docker.io/user/repo:latest");
	good("quay.io/a/b/c:v2", "quay.io/a/b/c:v2");
	good("localhost/img", "localhost/img:latest");
	good("localhost:5000/img:t", "localhost:5000/img:t");
	good("Example.COM/x", "Example.COM/x:latest");
	good("my-registry.local:443/ns/name_with__two.dots-and--dashes:T_1.0-rc",
	     "my-registry.local:443/ns/name_with__two.dots-and--dashes:T_1.0-rc");
	good(with_digest, with_digest_want);
	good(tag_digest, tag_digest);

	bad("", "empty");
	bad("BusyBox", "must be lowercase");
	bad("busybox:", "tag must be 1 to 128 characters");
	bad("busybox:-x", "bad tag");
	bad("busy box", "bad repository component");
	bad("a//b", "empty path component");
	bad("a/", "empty path component");
	bad("_a", "bad repository component");
	bad("a__-b", "bad repository component");
	bad("a..b", "bad repository component");
	bad("a.", "bad repository component");
	bad(":tag", "missing repository name");
	bad("busybox@sha256:abc", "expected 64 hex digits");
	bad("busybox@md5:0123", "algorithm must be sha256 or sha512");
	bad("exa_mple.com/x", "bad registry host");
	bad("host:port/x", "bad registry host");
	bad("-host.com/x", "bad registry host");
	_cleanup_free_ char *longtag = xasprintf("a:%0129d", 0);
	bad(longtag, "tag must be 1 to 128 characters");
	_cleanup_free_ char *longname = xmalloc(300);
	memset(longname, 'a', 299);
	longname[299] = '\0';
	bad(longname, "longer than 255");

	/* The parsed form keeps the parts apart. */
	struct capsa_image_ref *r = NULL;
	if (ok(capsa_image_ref_parse("localhost:5000/ns/img:v1", &r, NULL) == 0, "parse into parts")) {
		is_str(r->domain, "localhost:5000", "domain");
		is_str(r->path, "ns/img", "path");
		is_str(r->tag, "v1", "tag");
		ok(r->digest == NULL, "no digest");
		_cleanup_free_ char *repo = capsa_image_ref_repo(r);
		is_str(repo, "localhost:5000/ns/img", "repository");
	}
	capsa_image_ref_free(r);

	/* Digests. */
	ok(capsa_digest_validate(d, NULL) == 0, "sha256 digest valid");
	ok(capsa_digest_validate("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
				 NULL) == -1,
	   "uppercase hex rejected");
	_cleanup_free_ char *s512 = xasprintf("sha512:%0128d", 0);
	ok(capsa_digest_validate(s512, NULL) == 0, "sha512 digest valid");
	_cleanup_free_ char *empty = capsa_digest_sha256("", 0);
	is_str(empty, d, "sha256 of nothing");
	_cleanup_free_ char *abc = capsa_digest_sha256("abc", 3);
	is_str(abc, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "sha256 of abc");
	return tap_done();
}
