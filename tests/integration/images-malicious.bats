#!/usr/bin/env bats
# The malicious-archive corpus (tests/images/make-malicious.py): every attack is refused with a message
# naming the member and the reason, and nothing outside the store changes: a canary directory next to
# the store, /etc/shadow, and the store itself (no snapshot, no temp file, no image left behind).

load helpers

# CAPSA_TEST_BIN runs the tests against another build of capsa (a sanitizer build, for one).
CAPSA=${CAPSA_TEST_BIN:-$CAPSA}

setup_file() {
	export CORPUS_DIR
	CORPUS_DIR=$(mktemp -d /tmp/capsa-test-corpus-XXXXXX)
	mkdir "$CORPUS_DIR/canary"
	echo canary >"$CORPUS_DIR/canary/canary"
	python3 "$CAPSA_TOP/tests/images/make-malicious.py" "$CORPUS_DIR/layouts" "$CORPUS_DIR/canary"
}

teardown_file() {
	rm -rf "$CORPUS_DIR"
}

setup() {
	capsa_setup_tmp
	STORE="$TEST_TMP/store"
	SHADOW_BEFORE=$(sha256sum /etc/shadow)
}

teardown() {
	capsa_teardown_tmp
}

# Loads a corpus case (as a layout directory, and again as an oci-archive from stdin), expects a refusal
# whose message contains $2, then checks that nothing changed.
refused() {
	local case=$1 want=$2
	run "$CAPSA" --root "$STORE" load "oci:$CORPUS_DIR/layouts/$case"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$want"* ]]
	tar -C "$CORPUS_DIR/layouts/$case" -cf "$TEST_TMP/$case.tar" .
	run "$CAPSA" --root "$STORE" load <"$TEST_TMP/$case.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$want"* ]]
	untouched
}

untouched() {
	[ "$(ls -A "$CORPUS_DIR/canary")" = canary ]
	[ "$(cat "$CORPUS_DIR/canary/canary")" = canary ]
	[ "$(sha256sum /etc/shadow)" = "$SHADOW_BEFORE" ]
	[ "$(stat -c %h /etc/shadow)" = 1 ]
	# Nothing partial in the store: no snapshot, no temp file, no blob, no image.
	[ -z "$(find "$STORE/snapshots" "$STORE/tmp" "$STORE/blobs" -mindepth 1 -not -type d)" ]
	[ "$(jq '.images | length' "$STORE/images.json" 2>/dev/null || echo 0)" -eq 0 ]
	# and no file named pwned* anywhere it could have landed
	[ -z "$(find /tmp /etc -maxdepth 6 -name 'pwned-*' 2>/dev/null)" ]
}

@test "traversal with .. is refused" {
	refused traversal 'pwned-traversal: path with a ".." component'
}

@test "traversal with .. after a real directory is refused" {
	refused traversal-inner 'pwned-inner: path with a ".." component'
}

@test "absolute member path is refused" {
	refused absolute "$CORPUS_DIR/canary/pwned-absolute: absolute path in a layer"
}

@test "symlink to an outside directory, then a write through it, is refused" {
	refused symlink-write "escape/pwned-symlink: escape is a symlink (or goes through one): refusing to write through it"
}

@test "relative symlink climbing out, then a write through it, is refused" {
	refused symlink-relative-write "is a symlink (or goes through one): refusing to write through it"
}

@test "symlink to / inside a directory, then a write through it, is refused" {
	refused symlink-dir-chain "is a symlink (or goes through one): refusing to write through it"
}

@test "hard link to /etc/shadow is refused" {
	refused hardlink-shadow "shadow: hard link target: /etc/shadow: absolute path in a layer"
}

@test "hard link to ../../etc/shadow is refused" {
	refused hardlink-shadow-relative 'etc/shadow: path with a ".." component'
}

@test "hard link through a symlink to /etc is refused" {
	refused hardlink-through-symlink "hard link target etc/shadow: etc is a symlink (or goes through one)"
}

@test "gzip bomb fails cleanly" {
	refused gzip-bomb "refusing a decompression bomb"
}

@test "layer whose content does not match its diff_id is refused with both digests" {
	refused digest-mismatch "diff_id mismatch: the image config says sha256:0000000000000000000000000000000000000000000000000000000000000000, the layer content is sha256:"
}

@test "blob whose content does not match its name is refused" {
	refused blob-corrupt "digest mismatch: expected sha256:"
}

@test "device node: created inside the store's snapshot only" {
	# Decision (see man/capsa.1): device nodes are part of images (docker keeps them too); they are made
	# inside the 0700 snapshot directory and nowhere else, and the runtime decides what a container may open.
	run "$CAPSA" --root "$STORE" load "oci:$CORPUS_DIR/layouts/device"
	[ "$status" -eq 0 ]
	found=$(find "$STORE" -name evil-mem)
	[ "$(echo "$found" | wc -l)" -eq 1 ]
	[[ "$found" == "$STORE"/snapshots/*/fs/dev/evil-mem ]]
	[ "$(stat -c '%t:%T' "$found")" = 1:1 ]
	[ "$(stat -c %a "$STORE")" = 700 ]
	[ -z "$(find /dev /tmp -maxdepth 3 -name evil-mem -not -path "$STORE/*" 2>/dev/null)" ]
}
