#!/usr/bin/env bats
# capsa's image commands against images made by umoci, skopeo and capsa itself. Every test uses a private
# store (--root under /tmp/capsa-test-*); the test images are built once per file.

load helpers
bats_require_minimum_version 1.5.0

# CAPSA_TEST_BIN runs the tests against another build of capsa (a sanitizer build, for one).
CAPSA=${CAPSA_TEST_BIN:-$CAPSA}

setup_file() {
	export IMAGES_DIR
	IMAGES_DIR=$(mktemp -d /tmp/capsa-test-images-XXXXXX)
	"$CAPSA_TOP/tests/images/build-busybox.sh" "$IMAGES_DIR" >/dev/null
	"$CAPSA_TOP/tests/images/build-layered.sh" "$IMAGES_DIR" >/dev/null
}

teardown_file() {
	rm -rf "$IMAGES_DIR"
}

setup() {
	capsa_setup_tmp
	STORE="$TEST_TMP/store"
}

teardown() {
	# Unmount what `image mount` made before the generic cleanup removes the store.
	if [ -d "$STORE/rootfs" ]; then
		for d in "$STORE"/rootfs/*/rootfs; do
			[ -d "$d" ] && umount -l "$d" 2>/dev/null
		done
	fi
	capsa_teardown_tmp
}

c() {
	"$CAPSA" --root "$STORE" "$@"
}

# Every path in the store with its type, size and mtime (directories: path only), and the index.
store_state() {
	find "$STORE" -mindepth 1 \( -type d -printf '%p\n' \) -o \( ! -name lock -printf '%p %y %s %T@\n' \) | sort
	sha256sum "$STORE/images.json"
}

# The config field of `image inspect` for one image, through jq.
inspect() {
	c image inspect "$1" | jq -r ".[0]$2"
}

@test "load: docker-archive made by skopeo, named by its RepoTags" {
	run c load -i "$IMAGES_DIR/busybox-docker.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: docker.io/library/busybox:latest" ]
	run c images
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
	[[ "${lines[1]}" =~ ^docker.io/library/busybox\ +latest\ +[0-9a-f]{12}\ + ]]
	run c images -q
	[[ "$output" =~ ^[0-9a-f]{12}$ ]]
	# docker-style normalisation: all of these name the same image
	id=$(inspect busybox .Id)
	[ "$(inspect busybox:latest .Id)" = "$id" ]
	[ "$(inspect docker.io/library/busybox .Id)" = "$id" ]
	[ "$(inspect "${id#sha256:}" .Id)" = "$id" ]
	[ "$(inspect "${id:7:12}" .Id)" = "$id" ]
	[ "$(inspect busybox '.Config.Cmd[0]')" = sh ]
}

@test "load: oci-archive from a file and from stdin, OCI layout directory by tag" {
	run c load -i "$IMAGES_DIR/busybox-oci.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: localhost/busybox-oci:latest" ]
	run c load <"$IMAGES_DIR/busybox-oci.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image ID: $(inspect busybox-oci .Id)" ]
	run c load "oci:$IMAGES_DIR/oci:latest"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: localhost/oci:latest" ]
	run c load "oci:$IMAGES_DIR/oci:nosuchtag"
	[ "$status" -eq 1 ]
	[[ "$output" == *'no image tagged "nosuchtag" in the layout'* ]]
	# one image, three names, one set of layers
	[ "$(c images -q | sort -u | wc -l)" -eq 1 ]
	[ "$(ls "$STORE/snapshots" | wc -l)" -eq 1 ]
}

@test "load: zstd layers" {
	run c load "oci:$IMAGES_DIR/zstd:latest"
	[ "$status" -eq 0 ]
	[ "$(inspect zstd '.Layers[0].MediaType')" = "application/vnd.oci.image.layer.v1.tar+zstd" ]
	[ "$(inspect zstd '.Layers[0].Unpacked')" = true ]
	snap=$(inspect zstd '.RootFS.Layers[0]')
	[ -x "$STORE/snapshots/${snap#sha256:}/fs/bin/busybox" ]
}

@test "load: platform selection in a nested index" {
	run c load "oci:$IMAGES_DIR/multi"
	[ "$status" -eq 0 ]
	[ "$(inspect localhost/multi:multi .Architecture)" = amd64 ]
	run c load --platform linux/arm64 "oci:$IMAGES_DIR/multi"
	[ "$status" -eq 0 ]
	[ "$(inspect localhost/multi:multi .Architecture)" = arm64 ]
	[ "$(inspect localhost/multi:multi .Variant)" = v8 ]
	run c load --platform linux/s390x "oci:$IMAGES_DIR/multi"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no image for platform linux/s390x (the index has: linux/arm64/v8, linux/amd64)"* ]]
	run c load --platform 'linux//x' "oci:$IMAGES_DIR/multi"
	[ "$status" -eq 1 ]
	[[ "$output" == *'invalid platform "linux//x"'* ]]
}

@test "load: bad input is refused with a clear message and leaves the store as it was" {
	c load -i "$IMAGES_DIR/busybox-docker.tar" >/dev/null
	before=$(store_state)
	echo "not a tar" >"$TEST_TMP/junk.tar"
	run c load -i "$TEST_TMP/junk.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"junk.tar"* ]]
	run c load -i "$TEST_TMP/missing.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"open $TEST_TMP/missing.tar: No such file or directory"* ]]
	tar -C "$TEST_TMP" -cf "$TEST_TMP/plain.tar" junk.tar
	run c load -i "$TEST_TMP/plain.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not an image archive"* ]]
	# a docker-archive whose manifest.json names a layer that is not there
	mkdir "$TEST_TMP/broken" && tar -C "$TEST_TMP/broken" -xf "$IMAGES_DIR/busybox-docker.tar"
	rm "$TEST_TMP"/broken/*.tar
	tar -C "$TEST_TMP/broken" -cf "$TEST_TMP/broken.tar" .
	run c load -i "$TEST_TMP/broken.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not in the archive"* ]]
	after=$(store_state)
	[ "$before" = "$after" ]
}

@test "layers: whiteouts, opaque dirs, hard links, setuid, sticky, xattrs, fifo, device, owner, mtime" {
	run c load "oci:$IMAGES_DIR/layered:latest"
	[ "$status" -eq 0 ]
	[ "$(inspect layered '.Layers | length')" -eq 3 ]
	for mode in overlay copy; do
		if [ $mode = copy ]; then m=$(c image mount --copy layered 2>/dev/null); else m=$(c image mount layered); fi
		[ -n "$m" ]
		if [ $mode = overlay ]; then
			[ "$(stat -f -c %T "$m")" = overlayfs ]
		fi
		[ ! -e "$m/data/a/1" ] # whiteout from layer 3
		[ "$(cat "$m/data/a/2")" = two ]
		[ ! -e "$m/data/b" ] # directory whiteout from umoci
		[ ! -e "$m/data/del-me" ]
		[ "$(cat "$m/data/new")" = new ]
		[ "$(ls "$m/data/opq")" = fresh ] # opaque: old1 and old2 hidden
		[ "$(stat -c %a "$m/bin/suid-busybox")" = 4755 ]
		[ "$(stat -c %a "$m/data/sticky")" = 1777 ]
		[ "$(stat -c %i "$m/data/hard1")" = "$(stat -c %i "$m/data/hard2")" ]
		[ "$(stat -c %h "$m/data/hard1")" = 2 ]
		getfattr -n security.capability "$m/data/caps" | grep -q 'security.capability=0sAQAAAgAgAAAAAAAAAAAAAAAAAAA='
		[ "$(getfattr --only-values -n user.capsa "$m/data/xattr")" = hello ]
		[ "$(stat -c %F "$m/data/fifo")" = fifo ]
		[ "$(stat -c '%F %t:%T' "$m/data/null")" = "character special file 1:3" ]
		[ "$(stat -c %u:%g "$m/data/a/2")" = 1000:100 ]
		[ "$(stat -c %Y "$m/data/a/2")" = "$(date -d '2001-02-03 04:05:06' +%s)" ]
		[ "$(stat -c %u "$m/home/user")" = 1000 ]
		run c rmi layered
		[ "$status" -eq 1 ]
		[[ "$output" == *"in use by a container"* ]]
		c image unmount layered
		[ ! -e "$m" ]
	done
	# snapshots keep overlayfs' form
	top=$(inspect layered '.RootFS.Layers[2]')
	[ "$(stat -c '%F %t:%T' "$STORE/snapshots/${top#sha256:}/fs/data/a/1")" = "character special file 0:0" ]
	[ "$(getfattr --only-values -n trusted.overlay.opaque "$STORE/snapshots/${top#sha256:}/fs/data/opq")" = y ]
	assert_no_mounts
	run c rmi layered
	[ "$status" -eq 0 ]
}

@test "save: docker-archive and oci-archive round trip through capsa, skopeo and umoci" {
	c load -i "$IMAGES_DIR/busybox-docker.tar" >/dev/null
	c load "oci:$IMAGES_DIR/layered:latest" >/dev/null
	c save -o "$TEST_TMP/d.tar" busybox localhost/layered
	c save --format oci-archive -o "$TEST_TMP/o.tar" busybox localhost/layered
	c save --format oci-archive -o "$TEST_TMP/one.tar" localhost/layered
	run c save busybox
	[ "$status" -ne 0 ] || [ -n "$output" ] # never silently dumps to a terminal; to a pipe it writes the archive
	# skopeo reads both
	[ "$(skopeo inspect --config "docker-archive:$TEST_TMP/d.tar:docker.io/library/busybox:latest" | jq -r .config.Cmd[0])" = sh ]
	skopeo copy -q "docker-archive:$TEST_TMP/d.tar:localhost/layered:latest" "oci:$TEST_TMP/sk:x"
	mkdir "$TEST_TMP/oci" && tar -C "$TEST_TMP/oci" -xf "$TEST_TMP/one.tar"
	umoci ls --layout "$TEST_TMP/oci" | grep -qx latest
	umoci unpack --image "$TEST_TMP/oci:latest" "$TEST_TMP/bundle" >/dev/null
	[ -x "$TEST_TMP/bundle/rootfs/bin/busybox" ]
	# and capsa loads its own archives into another store with the same ids
	for f in d o; do
		other="$TEST_TMP/store-$f"
		"$CAPSA" --root "$other" load -i "$TEST_TMP/$f.tar"
		for img in busybox localhost/layered; do
			[ "$("$CAPSA" --root "$other" image inspect $img | jq -r '.[0].Id')" = "$(inspect $img .Id)" ]
		done
	done
}

@test "import: directory and tarball with --change, from stdin too" {
	run c import --change 'CMD ["sh", "-c", "echo hi"]' --change 'ENV A=1 B="two words"' \
		--change 'WORKDIR /tmp' --change 'USER user' --change 'EXPOSE 80 53/udp' --change 'LABEL k=v' \
		--change 'STOPSIGNAL SIGINT' --change 'VOLUME /data' "$IMAGES_DIR/rootfs" my/bb:1
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	[ "$(inspect my/bb:1 .Id)" = "$output" ]
	[ "$(inspect my/bb:1 '.Config.Cmd | join(" ")')" = "sh -c echo hi" ]
	[ "$(inspect my/bb:1 '.Config.Env | join(",")')" = "A=1,B=two words" ]
	[ "$(inspect my/bb:1 .Config.WorkingDir)" = /tmp ]
	[ "$(inspect my/bb:1 .Config.User)" = user ]
	[ "$(inspect my/bb:1 '.Config.ExposedPorts | keys | join(",")')" = "53/udp,80/tcp" ]
	[ "$(inspect my/bb:1 .Config.Labels.k)" = v ]
	[ "$(inspect my/bb:1 .Config.StopSignal)" = SIGINT ]
	[ "$(c image inspect -f '{{.Config.User}} {{index .Config.Labels "k"}} {{json .Config.Cmd}}' my/bb:1)" = 'user v ["sh","-c","echo hi"]' ]
	run -1 c image inspect --format '{{nosuch .Id}}' my/bb:1
	[[ "$output" == *'--format: template: {{nosuch .Id}}: function "nosuch" not defined'* ]]
	[ "$(c images docker.io/my/bb | tail -n +2 | wc -l)" -eq 1 ]
	m=$(c image mount my/bb:1)
	[ "$(stat -c %a "$m/tmp")" = 1777 ]
	[ "$(readlink "$m/bin/sh")" = busybox ]
	c image unmount my/bb:1
	tar -C "$IMAGES_DIR/rootfs" -czf "$TEST_TMP/rootfs.tgz" .
	run c import "$TEST_TMP/rootfs.tgz" gz
	[ "$status" -eq 0 ]
	[ "$(inspect gz '.Layers[0].MediaType')" = "application/vnd.oci.image.layer.v1.tar+gzip" ]
	run c import - fromstdin <"$TEST_TMP/rootfs.tgz"
	[ "$status" -eq 0 ]
	[ "$(inspect fromstdin '.RootFS.Layers[0]')" = "$(inspect gz '.RootFS.Layers[0]')" ]
	run c import --change 'FROM x' "$IMAGES_DIR/rootfs" bad
	[ "$status" -eq 1 ]
	[[ "$output" == *"unsupported instruction FROM"* ]]
	run c import "$IMAGES_DIR/rootfs" 'Bad:Name'
	[ "$status" -eq 1 ]
	[[ "$output" == *"repository name must be lowercase"* ]]
}

@test "import: a directory's hard links stay hard links (one file, one copy in the layer)" {
	mkdir -p "$TEST_TMP/hl/bin" "$TEST_TMP/hl/etc"
	cp "$IMAGES_DIR/rootfs/bin/busybox" "$TEST_TMP/hl/bin/busybox"
	ln "$TEST_TMP/hl/bin/busybox" "$TEST_TMP/hl/bin/sh"
	ln "$TEST_TMP/hl/bin/busybox" "$TEST_TMP/hl/etc/bb"
	echo one >"$TEST_TMP/hl/etc/a"
	c import "$TEST_TMP/hl" hl >/dev/null
	m=$(c image mount hl)
	[ "$(stat -c '%h %i' "$m/bin/sh")" = "$(stat -c '%h %i' "$m/bin/busybox")" ]
	[ "$(stat -c %h "$m/bin/sh")" = 3 ]
	[ "$(stat -c '%i' "$m/etc/bb")" = "$(stat -c '%i' "$m/bin/busybox")" ]
	[ "$(stat -c %h "$m/etc/a")" = 1 ]
	c image unmount hl
	# the layer holds the bytes once: two hard link entries of size 0
	layer=$(inspect hl '.Layers[0].Digest' | cut -d: -f2)
	[ "$(tar -tvf "$STORE/blobs/sha256/$layer" | grep -c '^h')" = 2 ]
	size=$(stat -c %s "$IMAGES_DIR/rootfs/bin/busybox")
	[ "$(stat -c %s "$STORE/blobs/sha256/$layer")" -lt $((size * 2)) ]
}

@test "tag, rmi, prune and history" {
	c load -i "$IMAGES_DIR/busybox-docker.tar" >/dev/null
	c tag busybox example.com:5000/team/bb:v1
	[ "$(inspect example.com:5000/team/bb:v1 .Id)" = "$(inspect busybox .Id)" ]
	run c rmi "$(inspect busybox .Id)"
	[ "$status" -eq 1 ]
	[[ "$output" == *"referenced by 2 names"* ]]
	run c rmi busybox
	[ "$status" -eq 0 ]
	[ "$output" = "Untagged: docker.io/library/busybox:latest" ]
	run c rmi nosuch
	[ "$status" -eq 1 ]
	[ "$output" = "capsa: rmi: no such image: nosuch" ]
	run c image history example.com:5000/team/bb:v1
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^LAYER ]]
	[[ "$output" == *"umoci repack"* ]]
	# prune: an untagged image goes with -a only when tagged; blobs and snapshots follow
	c load "oci:$IMAGES_DIR/layered:latest" >/dev/null
	c rmi localhost/layered >/dev/null
	[ "$(ls "$STORE/snapshots" | wc -l)" -eq 1 ] # rmi collected the layered image's own layers
	c load <"$IMAGES_DIR/busybox-oci.tar" >/dev/null # same image again: untagged load keeps names
	run c image prune
	[ "$status" -eq 0 ]
	[[ "$output" == *"Total reclaimed space"* ]]
	[ "$(c images -q | wc -l)" -eq 1 ]
	run c image prune -a
	[ "$status" -eq 0 ]
	[[ "$output" == *"Deleted: sha256:"* ]]
	[ "$(c images -aq | wc -l)" -eq 0 ]
	[ -z "$(find "$STORE/snapshots" "$STORE/blobs" "$STORE/tmp" -mindepth 1 -type f)" ]
}

@test "images: --format json, --digests, -a and untagged images" {
	c load <"$IMAGES_DIR/busybox-oci.tar" >/dev/null
	run c images
	[ "${#lines[@]}" -eq 1 ]
	run c images -a
	[[ "${lines[1]}" =~ ^\<none\>\ +\<none\> ]]
	c load -i "$IMAGES_DIR/busybox-docker.tar" >/dev/null
	run c images --format json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.[0].RepoTags[0]')" = docker.io/library/busybox:latest ]
	[ "$(echo "$output" | jq -r '.[0].Size')" -gt 1000000 ]
	run c images --digests
	[[ "${lines[0]}" == *DIGEST* ]]
	[[ "${lines[1]}" =~ sha256:[0-9a-f]{64} ]]
	run c images --format table
	[ "$status" -eq 125 ]
}

@test "concurrent loads and removals keep the store consistent" {
	c load -i "$IMAGES_DIR/busybox-docker.tar" >/dev/null
	for i in 1 2 3; do
		c tag busybox "keep/n$i"
	done
	c load "oci:$IMAGES_DIR/layered:latest" >"$TEST_TMP/l1" &
	c load -i "$IMAGES_DIR/layered-docker.tar" >"$TEST_TMP/l2" &
	c rmi keep/n1 keep/n2 >"$TEST_TMP/r" &
	c load -i "$IMAGES_DIR/busybox-oci.tar" >"$TEST_TMP/l3" &
	wait
	jq -e . "$STORE/images.json" >/dev/null
	[ "$(inspect localhost/layered .Id)" = "$(inspect capsa-test/layered .Id)" ]
	run c image inspect keep/n1
	[ "$status" -eq 1 ]
	[ "$(inspect keep/n3 .Id)" = "$(inspect busybox .Id)" ]
	[ -z "$(ls "$STORE/tmp")" ]
	[ "$(ls "$STORE/snapshots" | wc -l)" -eq 4 ] # busybox's layer and layered's three
}

@test "usage errors exit 125 and name the command" {
	run c load --bogus
	[ "$status" -eq 125 ]
	[[ "$output" == *"usage: capsa load"* ]]
	run c frobnicate
	[ "$status" -eq 1 ]
	[[ "$output" == *'unknown command "frobnicate"'* ]]
	run c image
	[ "$status" -eq 125 ]
	run c tag onlyone
	[ "$status" -eq 125 ]
	run "$CAPSA" --root relative/path images
	[ "$status" -eq 1 ]
	[[ "$output" == *"must be an absolute path"* ]]
	run c image inspect 'UPPER/case'
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such image: UPPER/case"* ]]
}

@test "podman: capsa loads podman save output, podman loads capsa save output" {
	command -v podman >/dev/null || skip "podman is not installed"
	pod() {
		podman --root "$TEST_TMP/pod/root" --runroot "$TEST_TMP/pod/run" --storage-driver vfs \
			--events-backend none "$@"
	}
	pod load -q -i "$IMAGES_DIR/layered-docker.tar" >/dev/null
	pod save -q -o "$TEST_TMP/p-docker.tar" capsa-test/layered:latest
	pod save -q --format oci-archive -o "$TEST_TMP/p-oci.tar" capsa-test/layered:latest
	run c load -i "$TEST_TMP/p-docker.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: docker.io/capsa-test/layered:latest" ]
	run c load -i "$TEST_TMP/p-oci.tar"
	[ "$status" -eq 0 ]
	[ "$(inspect capsa-test/layered .Config.User)" = user ]
	m=$(c image mount capsa-test/layered)
	[ "$(ls "$m/data/opq")" = fresh ]
	[ "$(stat -c %a "$m/bin/suid-busybox")" = 4755 ]
	c image unmount capsa-test/layered
	c import --change 'CMD ["sh"]' "$IMAGES_DIR/rootfs" capsa-test/imported:v1 >/dev/null
	c save -o "$TEST_TMP/c-docker.tar" capsa-test/imported:v1
	run pod load -i "$TEST_TMP/c-docker.tar"
	[ "$status" -eq 0 ]
	[ "$(pod image inspect docker.io/capsa-test/imported:v1 --format '{{.Config.Cmd}}')" = "[sh]" ]
	c save --format oci-archive -o "$TEST_TMP/c-oci.tar" capsa-test/imported:v1
	run pod load -i "$TEST_TMP/c-oci.tar"
	[ "$status" -eq 0 ]
	pod system reset -f >/dev/null 2>&1 || true
}

@test "libraries loaded at first use: run works without libarchive, libcrypto and libnftables; others say which is missing" {
	# In a private mount namespace the libraries named read as empty files (the host is not touched).
	hide() {
		local l
		for l in "$@"; do
			mount --bind /dev/null "$(readlink -f "/usr/lib/x86_64-linux-gnu/$l")" || return 1
		done
	}
	export -f hide
	export CAPSA STORE IMAGES_DIR TEST_TMP
	c import "$IMAGES_DIR/rootfs" bb >/dev/null
	all="libarchive.so.13 libcrypto.so.3 libnftables.so.1"
	run unshare -m bash -c "hide $all && \"\$CAPSA\" --root \"\$STORE\" run --rm --network none bb echo runs-without"
	[ "$status" -eq 0 ]
	[ "$output" = runs-without ]
	before=$(ls -A "$TEST_TMP")
	run unshare -m bash -c "hide $all && \"\$CAPSA\" --root \"\$STORE\" save -o \"\$TEST_TMP/x.tar\" bb"
	[ "$status" -ne 0 ]
	[[ "$output" == *"libarchive.so.13"*"install libarchive13"* ]]
	run unshare -m bash -c "hide $all && \"\$CAPSA\" --root \"\$STORE\" import \"\$IMAGES_DIR/rootfs\" again"
	[ "$status" -ne 0 ]
	[[ "$output" == *"libarchive.so.13"*"install libarchive13"* ]]
	run unshare -m bash -c "hide libcrypto.so.3 && \"\$CAPSA\" --root \"\$STORE\" import \"\$IMAGES_DIR/rootfs\" again"
	[ "$status" -ne 0 ]
	[[ "$output" == *"libcrypto"*"install libssl3"* ]]
	# refused before anything was made
	[ "$(ls -A "$TEST_TMP")" = "$before" ]
	[ -z "$(ls -A "$STORE/tmp" 2>/dev/null)" ]
	[ -z "$(c images -q again)" ]
}
