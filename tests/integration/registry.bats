#!/usr/bin/env bats
# capsa pull and run --pull against real registries on 127.0.0.1: Debian's docker-registry (the distribution
# registry; one open, one with htpasswd auth) fed by skopeo, and tests/images/badregistry.py, which dies
# mid-blob, sends wrong bytes or answers with what capsa must refuse. Every test pulls into a private store.

load helpers

CAPSA=${CAPSA_TEST_BIN:-$CAPSA}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry DIR PORT [HTPASSWD]: a distribution registry storing under DIR, pid in DIR/pid.
start_registry() {
	local dir=$1 port=$2 htpasswd=${3:-}
	mkdir -p "$dir/data"
	{
		echo "version: 0.1"
		echo "log: {level: info}"
		echo "storage: {filesystem: {rootdirectory: $dir/data}}"
		echo "http: {addr: 127.0.0.1:$port}"
		[ -z "$htpasswd" ] || echo "auth: {htpasswd: {realm: capsa-test, path: $htpasswd}}"
	} >"$dir/config.yml"
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
	echo $! >"$dir/pid"
	# Up when it answers at all (401 for the auth registry).
	local i
	for i in $(seq 1 200); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/")" != 000 ] && return 0
		sleep 0.1
	done
	echo "registry on port $port did not start:" >&2
	cat "$dir/log" >&2
	return 1
}

setup_file() {
	export REG_DIR REG AUTH_REG BAD_REG IMAGES_DIR
	REG_DIR=$(mktemp -d /tmp/capsa-test-registry-XXXXXX)
	IMAGES_DIR="$REG_DIR/images"
	"$CAPSA_TOP/tests/images/build-busybox.sh" "$IMAGES_DIR" >/dev/null

	REG=127.0.0.1:$(free_port)
	start_registry "$REG_DIR/open" "${REG#*:}"
	skopeo copy -q --dest-tls-verify=false "oci:$IMAGES_DIR/oci:latest" "docker://$REG/capsa-test/bb:1"
	skopeo copy -q --all --dest-tls-verify=false "oci:$IMAGES_DIR/multi" "docker://$REG/capsa-test/multi:1"
	# The same as Docker schema 2 manifest and manifest list.
	skopeo copy -q --format v2s2 --dest-tls-verify=false "oci:$IMAGES_DIR/oci:latest" \
		"docker://$REG/capsa-test/bb-docker:1"
	skopeo copy -q --all --format v2s2 --dest-tls-verify=false "oci:$IMAGES_DIR/multi" \
		"docker://$REG/capsa-test/multi-docker:1"
	# bb plus one layer (shares bb's), and the three-layer image with whiteouts and an opaque directory.
	mkdir -p "$REG_DIR/derived-root/etc"
	echo derived >"$REG_DIR/derived-root/etc/derived"
	tar -C "$REG_DIR/derived-root" -cf "$REG_DIR/derived-layer.tar" etc
	cp -a "$IMAGES_DIR/oci" "$IMAGES_DIR/derived"
	umoci raw add-layer --image "$IMAGES_DIR/derived:latest" --tag v2 "$REG_DIR/derived-layer.tar"
	skopeo copy -q --dest-tls-verify=false "oci:$IMAGES_DIR/derived:v2" "docker://$REG/capsa-test/derived:1"
	"$CAPSA_TOP/tests/images/build-layered.sh" "$IMAGES_DIR" >/dev/null
	skopeo copy -q --dest-tls-verify=false "oci:$IMAGES_DIR/layered:latest" "docker://$REG/capsa-test/layered:1"

	htpasswd -Bbc "$REG_DIR/htpasswd" capsa-user 's3cret"pass' 2>/dev/null
	AUTH_REG=127.0.0.1:$(free_port)
	start_registry "$REG_DIR/auth" "${AUTH_REG#*:}" "$REG_DIR/htpasswd"
	skopeo copy -q --dest-tls-verify=false --dest-creds 'capsa-user:s3cret"pass' \
		"oci:$IMAGES_DIR/oci:latest" "docker://$AUTH_REG/capsa-test/private:1"

	python3 "$CAPSA_TOP/tests/images/badregistry.py" "$IMAGES_DIR/oci" "$REG_DIR/bad.port" \
		"layered=$IMAGES_DIR/layered" >"$REG_DIR/bad.log" 2>&1 &
	echo $! >"$REG_DIR/bad.pid"
	local i
	for i in $(seq 1 200); do
		[ -s "$REG_DIR/bad.port" ] && break
		sleep 0.1
	done
	BAD_REG=127.0.0.1:$(cat "$REG_DIR/bad.port")
}

teardown_file() {
	local p
	for p in "$REG_DIR/open/pid" "$REG_DIR/auth/pid" "$REG_DIR/bad.pid"; do
		[ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	for p in "$REG_DIR/open/pid" "$REG_DIR/auth/pid" "$REG_DIR/bad.pid"; do
		[ -s "$p" ] || continue
		while kill -0 "$(cat "$p")" 2>/dev/null; do sleep 0.1; done
	done
	rm -rf "$REG_DIR"
}

setup() {
	capsa_setup_tmp
	STORE="$TEST_TMP/store"
	# No credentials unless a test writes some.
	export REGISTRY_AUTH_FILE="$TEST_TMP/auth.json"
}

teardown() {
	capsa_teardown_tmp
}

c() {
	"$CAPSA" --root "$STORE" "$@"
}

blob_gets() {
	grep -c "\"GET /v2/capsa-test/bb/blobs/" "$REG_DIR/open/log" || true
}

# The store holds no image, and no file under blobs/ whose content does not hash to its name.
assert_store_consistent() {
	local list
	list=$(c images -a --format json)
	[ "$(echo "$list" | jq length)" -eq "${1:-0}" ]
	local f
	for f in "$STORE"/blobs/sha256/*; do
		[ -e "$f" ] || continue
		[ "$(sha256sum "$f" | cut -d' ' -f1)" = "$(basename "$f")" ]
	done
	[ -z "$(ls -A "$STORE/tmp" 2>/dev/null)" ]
}

@test "pull: an image from a registry, then run prints hello" {
	run c pull "$REG/capsa-test/bb:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1: Pulling from capsa-test/bb"* ]]
	[[ "$output" == *": Pull complete"* ]]
	[[ "$output" == *"Digest: sha256:"* ]]
	[[ "$output" == *"Status: Downloaded newer image for $REG/capsa-test/bb:1"* ]]
	[ "${lines[-1]}" = "$REG/capsa-test/bb:1" ]
	[ "$(c images --format json | jq -r '.[0].RepoTags[0]')" = "$REG/capsa-test/bb:1" ]
	run c run --rm "$REG/capsa-test/bb:1" echo hello
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
}

@test "pull: a second pull is up to date and downloads no blob" {
	c pull -q "$REG/capsa-test/bb:1"
	local before
	before=$(blob_gets)
	run c pull "$REG/capsa-test/bb:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Status: Image is up to date for $REG/capsa-test/bb:1"* ]]
	[[ "$output" != *"Pull complete"* ]]
	[ "$(blob_gets)" -eq "$before" ]
}

@test "pull: --quiet prints only the name; not a terminal: no progress bars" {
	run c pull --quiet "$REG/capsa-test/bb:1"
	[ "$status" -eq 0 ]
	[ "$output" = "$REG/capsa-test/bb:1" ]
	run c pull "$REG/capsa-test/multi:1"
	[ "$status" -eq 0 ]
	[[ "$output" != *"Downloading"* ]]
	[[ "$output" != *$'\r'* ]]
}

@test "pull: by digest gets the same content and verifies it" {
	run c pull "$REG/capsa-test/bb:1"
	[ "$status" -eq 0 ]
	local digest
	digest=$(echo "$output" | sed -n 's/^Digest: //p')
	[ -n "$digest" ]
	local id
	id=$(c images --format json | jq -r '.[0].Id')
	rm -rf "$STORE"
	run c pull "$REG/capsa-test/bb@$digest"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Digest: $digest"* ]]
	[ "$(c images -a --format json | jq -r '.[].Id')" = "$id" ]
	# Pulled by digest alone (no tag), it runs by the same reference.
	run c run --rm "$REG/capsa-test/bb@$digest" echo by-digest
	[ "$status" -eq 0 ]
	[ "$output" = by-digest ]
	# A digest the registry does not have.
	run c pull "$REG/capsa-test/bb@sha256:0000000000000000000000000000000000000000000000000000000000000000"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not found: manifest unknown"* ]]
}

@test "pull: a multi-platform index gives the host's image, or the one --platform names" {
	run c pull "$REG/capsa-test/multi:1"
	[ "$status" -eq 0 ]
	[ "$(c image inspect "$REG/capsa-test/multi:1" | jq -r '.[0].Os + "/" + .[0].Architecture')" = linux/amd64 ]
	run c pull --platform linux/arm64 "$REG/capsa-test/multi:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(c image inspect "$REG/capsa-test/multi:1" | jq -r '.[0].Architecture')" = arm64 ]
	run c pull --platform linux/s390x "$REG/capsa-test/multi:1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no image for platform linux/s390x (the index has: linux/arm64/v8, linux/amd64)"* ]]
}

@test "pull: unknown tag and unknown repository are docker-like manifest errors, nothing stored" {
	run c pull "$REG/capsa-test/bb:nope"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"manifest for $REG/capsa-test/bb:nope not found: manifest unknown"* ]]
	run c pull "$REG/capsa-test/nothing-here:1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"manifest for $REG/capsa-test/nothing-here:1 not found:"*"unknown"* ]]
	assert_store_consistent 0
}

@test "pull: bad references, platforms and flags are refused before the store is touched" {
	run c pull "$REG/Capsa-Test/BB:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid reference"*"lowercase"* ]]
	run c pull "busybox:bad:tag"
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid reference"* ]]
	run c pull --platform 'linux/amd64/v2/x' "$REG/capsa-test/bb:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid platform"* ]]
	run c pull --tls-verify=maybe "$REG/capsa-test/bb:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"bad --tls-verify \"maybe\""* ]]
	run c pull
	[ "$status" -ne 0 ]
	[[ "$output" == *"requires exactly 1 argument"* ]]
	[ ! -e "$STORE" ]
}

@test "pull: a registry nobody listens on is a clear error" {
	local port
	port=$(free_port)
	run c pull "127.0.0.1:$port/capsa-test/bb:1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"127.0.0.1:$port"*"onnect"* ]]
	assert_store_consistent 0
}

@test "pull: basic auth: refused without credentials, works with the auth file, wrong password refused" {
	run c pull "$AUTH_REG/capsa-test/private:1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$AUTH_REG: authentication required: no credentials for $AUTH_REG in $REGISTRY_AUTH_FILE"* ]]
	assert_store_consistent 0

	local b64
	b64=$(printf '%s' 'capsa-user:wrong' | base64 -w0)
	echo "{\"auths\": {\"$AUTH_REG\": {\"auth\": \"$b64\"}}}" >"$REGISTRY_AUTH_FILE"
	run c pull "$AUTH_REG/capsa-test/private:1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"credentials of user \"capsa-user\" were refused"* ]]

	b64=$(printf '%s' 'capsa-user:s3cret"pass' | base64 -w0)
	echo "{\"auths\": {\"http://$AUTH_REG/v2/\": {\"auth\": \"$b64\"}}}" >"$REGISTRY_AUTH_FILE"
	run c pull "$AUTH_REG/capsa-test/private:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Downloaded newer image"* ]]
	# --authfile wins over $REGISTRY_AUTH_FILE.
	run c pull --authfile /nonexistent/capsa-test.json "$AUTH_REG/capsa-test/private:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no credentials for $AUTH_REG in /nonexistent/capsa-test.json"* ]]
}

@test "pull: a broken auth file is named in the error" {
	echo '{"auths": {"'"$AUTH_REG"'": {"auth": "not base64!"}}}' >"$REGISTRY_AUTH_FILE"
	run c pull "$AUTH_REG/capsa-test/private:1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$REGISTRY_AUTH_FILE"*"\"auth\" is not base64"* ]]
}

@test "pull: a registry that dies mid-blob: retried, then a clear error, store consistent" {
	run c pull "$BAD_REG/truncate/bb:1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Retrying (attempt 2 of 3)"* ]]
	[[ "$output" == *"blob sha256:"*"(3 attempts)"*"transfer closed"* ]]
	assert_store_consistent 0
	local layer
	layer=$(jq -r '.layers[0].digest' "$IMAGES_DIR/oci/blobs/sha256/$(jq -r '.manifests[0].digest' "$IMAGES_DIR/oci/index.json" | cut -d: -f2)")
	[ ! -e "$STORE/blobs/sha256/${layer#sha256:}" ]
}

@test "pull: a transfer that fails once is retried and succeeds" {
	run c pull "$BAD_REG/flaky-$BATS_TEST_NUMBER-$$/bb:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Retrying (attempt 2 of 3)"* ]]
	[[ "$output" == *"Downloaded newer image"* ]]
	assert_store_consistent 1
}

@test "pull: wrong bytes for a digest or too many bytes: refused, nothing under the digest's name" {
	run c pull "$BAD_REG/baddigest/bb:1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"digest mismatch: expected sha256:"* ]]
	assert_store_consistent 0
	run c pull "$BAD_REG/oversize/bb:1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"sent more than the"*"bytes of the descriptor"* ]]
	assert_store_consistent 0
	# The same store then pulls a good copy.
	run c pull "$BAD_REG/good/bb:1"
	[ "$status" -eq 0 ]
	assert_store_consistent 1
}

@test "pull: schema 1 manifests and a Content-Type that contradicts the body are refused" {
	run c pull "$BAD_REG/schema1/bb:1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Docker schema 1 manifest, which is deprecated and not supported"* ]]
	run c pull "$BAD_REG/mismatch/bb:1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Content-Type \"application/vnd.oci.image.manifest.v1+json\" says an image manifest but the body is an index"* ]]
	assert_store_consistent 0
}

@test "run --pull: missing pulls what the store lacks, never refuses it, always pulls again" {
	run c run --rm --pull never "$REG/capsa-test/bb:1" echo hi
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"No such image: $REG/capsa-test/bb:1"* ]]
	assert_store_consistent 0
	[ -z "$(c ps -aq)" ]

	run c run --rm "$REG/capsa-test/bb:1" echo hello
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Unable to find image '$REG/capsa-test/bb:1' locally"* ]]
	[[ "$output" == *"Status: Downloaded newer image for $REG/capsa-test/bb:1"* ]]
	[ "${lines[-1]}" = hello ]

	run c run --rm --pull missing "$REG/capsa-test/bb:1" echo hello
	[ "$status" -eq 0 ]
	[ "$output" = hello ]

	local before
	before=$(blob_gets)
	run c run --rm --pull always "$REG/capsa-test/bb:1" echo hello
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Status: Image is up to date for $REG/capsa-test/bb:1"* ]]
	[ "$(blob_gets)" -eq "$before" ]
}

@test "run --pull: bad values and failed pulls are clear, nothing is left behind" {
	run c run --rm --pull sometimes "$REG/capsa-test/bb:1" true
	[ "$status" -eq 125 ]
	[[ "$output" == *'invalid --pull "sometimes": expected missing, always or never'* ]]
	run c run --rm --platform linux/amd64/v2/x "$REG/capsa-test/bb:1" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--platform: invalid platform"* ]]
	run c create --pull missing "$REG/capsa-test/bb:nope"
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"Unable to find image '$REG/capsa-test/bb:nope' locally, and pulling it failed: manifest for"*"not found: manifest unknown"* ]]
	[ -z "$(c ps -aq)" ]
	run c create --platform linux/arm64 "$REG/capsa-test/multi:1" true
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(c image inspect "$REG/capsa-test/multi:1" | jq -r '.[0].Architecture')" = arm64 ]
	c rm "$(c ps -aq)"
}

@test "login/logout: credentials are checked, saved for pull, and removed" {
	run c login -u capsa-user -p wrong "$AUTH_REG"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"login as \"capsa-user\": $AUTH_REG: unauthorized"* ]]
	[ ! -e "$REGISTRY_AUTH_FILE" ]

	run c login -u capsa-user --password-stdin "$AUTH_REG" <<<'s3cret"pass'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "Login Succeeded" ]
	[ "$(jq -r --arg r "$AUTH_REG" '.auths[$r].auth' "$REGISTRY_AUTH_FILE" | base64 -d)" = 'capsa-user:s3cret"pass' ]
	[ "$(stat -c %a "$REGISTRY_AUTH_FILE")" = 600 ]
	run c pull -q "$AUTH_REG/capsa-test/private:1"
	echo "$output"
	[ "$status" -eq 0 ]

	run c logout "http://$AUTH_REG/v2/"
	[ "$status" -eq 0 ]
	[ "$output" = "Removing login credentials for $AUTH_REG" ]
	run c pull "$AUTH_REG/capsa-test/private:1"
	[ "$status" -ne 0 ]
	run c logout "$AUTH_REG"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not logged in to $AUTH_REG"* ]]
}

@test "login: bad registry names and missing arguments are refused" {
	run c login -u u -p p "bad registry"
	[ "$status" -ne 0 ]
	[[ "$output" == *'invalid registry "bad registry"'* ]]
	run c login -p p "$AUTH_REG"
	[ "$status" -ne 0 ]
	[[ "$output" == *"give the user name with -u"* ]]
	run c login -u u "$AUTH_REG" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"no password"* ]]
	run c login -u a:b -p p "$AUTH_REG"
	[ "$status" -ne 0 ]
	[[ "$output" == *"a ':' cannot be stored"* ]]
	[ ! -e "$REGISTRY_AUTH_FILE" ]
}

@test "pull: Bearer tokens from the realm, anonymous or with credentials; blobs behind redirects" {
	run c pull -q "$BAD_REG/bearer/bb:1"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '"GET /token?scope=repository%3Abearer%2Fbb%3Apull&service=capsa-test ' "$REG_DIR/bad.log"

	run c pull "$BAD_REG/bearerauth/bb:1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$BAD_REG: token request refused: unauthorized: incorrect username or password (no credentials for $BAD_REG in $REGISTRY_AUTH_FILE; see capsa login)"* ]]
	echo "{\"auths\": {\"$BAD_REG\": {\"auth\": \"$(printf user:secret | base64 -w0)\"}}}" >"$REGISTRY_AUTH_FILE"
	run c pull -q "$BAD_REG/bearerauth/bb:1"
	echo "$output"
	[ "$status" -eq 0 ]

	rm -rf "$STORE"
	run c pull -q "$BAD_REG/redirect/bb:1"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '"GET /store/sha256:' "$REG_DIR/bad.log"
	assert_store_consistent 1
}

@test "pull: a non-loopback name gets HTTPS; --tls-verify=false falls back to plain HTTP" {
	local host
	host=$(hostname)
	getent ahostsv4 "$host" | grep -q '^127\.' || skip "$host does not resolve to a loopback address"
	local port=${BAD_REG#*:}
	run c pull "$host:$port/good/bb:1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"GET https://$host:$port/v2/good/bb/manifests/1: "*"(a registry without TLS needs --tls-verify=false)"* ]]
	assert_store_consistent 0
	run c pull -q --tls-verify=false "$host:$port/good/bb:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$host:$port/good/bb:1" ]
}

@test "pull: layers already stored are not downloaded again; several layers unpack in order" {
	run c pull "$REG/capsa-test/bb:1"
	[ "$status" -eq 0 ]
	local base
	base=$(echo "$output" | sed -n 's/: Pull complete$//p')
	[ -n "$base" ]
	run c pull "$REG/capsa-test/derived:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$base: Already exists"* ]]
	[ "$(echo "$output" | grep -c ': Pull complete$')" -eq 1 ]
	run c run --rm "$REG/capsa-test/derived:1" cat /etc/derived
	[ "$status" -eq 0 ]
	[ "$output" = derived ]

	run c pull "$REG/capsa-test/layered:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c ': Pull complete$')" -eq 3 ]
	run c run --rm "$REG/capsa-test/layered:1" sh -c 'ls /data; ls /data/opq'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *del-me* ]]
	[[ "$output" != *old1* ]]
	[[ "$output" == *new* ]]
}

@test "pull: layers download in parallel; one failing layer fails the pull cleanly, retried on its own" {
	run c pull "$BAD_REG/truncate/layered:1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"blob sha256:"*"(3 attempts)"*"transfer closed"* ]]
	[[ "$output" != *"cancelled"* ]]
	assert_store_consistent 0

	# Each of the three layers fails once, beside the others, and is tried again.
	run c pull "$BAD_REG/flaky-$BATS_TEST_NUMBER-$$/layered:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c 'Retrying (attempt 2 of 3)')" -eq 3 ]
	[ "$(echo "$output" | grep -c ': Pull complete$')" -eq 3 ]
	assert_store_consistent 1
	run c run --rm "$BAD_REG/flaky-$BATS_TEST_NUMBER-$$/layered:1" cat /data/new
	[ "$status" -eq 0 ]
}

@test "pull: Docker schema 2 manifests and manifest lists" {
	run curl -sI -H "Accept: $(printf 'application/vnd.docker.distribution.manifest.list.v2+json')" \
		"http://$REG/v2/capsa-test/multi-docker/manifests/1"
	[[ "$output" == *"application/vnd.docker.distribution.manifest.list.v2+json"* ]]
	run c pull --platform linux/arm64 "$REG/capsa-test/multi-docker:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(c image inspect "$REG/capsa-test/multi-docker:1" | jq -r '.[0].Architecture')" = arm64 ]
	run c pull "$REG/capsa-test/bb-docker:1"
	echo "$output"
	[ "$status" -eq 0 ]
	run c run --rm "$REG/capsa-test/bb-docker:1" echo hello
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
}
