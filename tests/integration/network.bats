#!/usr/bin/env bats
# Bridge networking: capsa network create/ls/inspect/rm/prune, run --network NAME, -p/-P, and that
# nothing (veth, netns mount, nft rule, address, port) is left after rm, rm -f, --rm or a failed create.
# Each test makes its own network named after its TEST_ID_PREFIX, on a 10.231.X.0/24 of its own.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export IMAGES_DIR
	IMAGES_DIR=$(mktemp -d /tmp/capsa-test-net-XXXXXX)
	make_busybox_rootfs "$IMAGES_DIR/rootfs"
}

teardown_file() {
	rm -rf "$IMAGES_DIR"
}

setup() {
	capsa_setup_tmp
	capsa_cli_setup
	c import "$IMAGES_DIR/rootfs" bb >/dev/null
	NET="$TEST_ID_PREFIX"
	# A subnet of its own (helpers.bash: test_subnet_octet).
	X=$(test_subnet_octet 231)
	SUBNET="10.231.$X.0/24"
	PREFIX3="10.231.$X."
}

teardown() {
	capsa_cli_cleanup
	[ -z "${DUMMY:-}" ] || ip link del "$DUMMY" 2>/dev/null || true
	c network rm "$NET" >/dev/null 2>&1 || true
	capsa_teardown_tmp
}

make_net() {
	c network create --subnet "$SUBNET" "$NET" >/dev/null
	BRIDGE=$(c network inspect "$NET" | jq -r '.[0].Options["com.docker.network.bridge.name"]')
	[ -n "$BRIDGE" ]
}

# Nothing of container $1 (full id) is left on the host: veth, netns mount, nft chain, address, ports.
assert_net_gone() {
	local id=$1
	! ip link show "veth${id:0:11}" 2>/dev/null || false
	! grep -q "$id" /proc/self/mountinfo || false
	[ ! -e "$STORE/run/netns/$id" ]
	! nft list chain ip "capsa-$NET" "c-${id:0:12}" 2>/dev/null || false
	! grep -q "$id" "$STORE/networks/$NET/ipam" 2>/dev/null || false
	! grep -q "$id" "$STORE/networks/ports" 2>/dev/null || false
}

# After the network is removed: no bridge, no table, no directory.
assert_network_gone() {
	! ip link show "$BRIDGE" 2>/dev/null || false
	! nft list table ip "capsa-$NET" 2>/dev/null || false
	[ ! -e "$STORE/networks/$NET" ]
}

# (busybox wget -T crashes here: curl on the host.)
# Polls (bounded by tries, not by time) until an HTTP GET of $1 answers $2.
http_expect() {
	local url=$1 want=$2 i out
	for i in $(seq 1 200); do
		out=$(curl -sS -m 2 "$url" 2>/dev/null) && [ "$out" = "$want" ] && return 0
		sleep 0.05
	done
	echo "no answer $want from $url (last: $out)" >&2
	return 1
}

status_is() {
	[ "$(c inspect "$1" | jq -r '.[0].State.Status')" = "$2" ]
}

# A TCP port nothing on the host listens on now (the kernel's pick).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("0.0.0.0", 0)); print(s.getsockname()[1])'
}

host_addr() {
	ip -4 -o addr show scope global | awk '{ split($4, a, "/"); print a[1] }' | grep -v '^10\.231\.' |
		grep -v '^10\.88\.' | head -1
}

@test "network: eth0 with an address in the subnet, a default route, /etc/hosts and inspect agree" {
	make_net
	id=$(c create --network "$NET" --name "$TEST_ID_PREFIX-a" --hostname web bb \
		sh -c 'ip -4 -o addr show eth0; ip route; cat /etc/hosts; cat /etc/resolv.conf')
	ip=$(c inspect "$id" | jq -r '.[0].NetworkSettings.IPAddress')
	[[ "$ip" == "$PREFIX3"* ]]
	[ "$(c inspect "$id" | jq -r ".[0].NetworkSettings.Networks[\"$NET\"].IPAddress")" = "$ip" ]
	[ "$(c inspect "$id" | jq -r '.[0].NetworkSettings.Gateway')" = "${PREFIX3}1" ]
	[ "$(c inspect "$id" | jq -r '.[0].NetworkSettings.MacAddress')" != "" ]
	run c start -a "$id"
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet $ip/24"* ]]
	[[ "$output" == *"default via ${PREFIX3}1 dev eth0"* ]]
	# The hostname and the name resolve to the container's own address.
	echo "$output" | grep -qE "^$ip[[:space:]]+web $TEST_ID_PREFIX-a\$"
	# resolv.conf: the host's resolvers without loopback ones.
	! echo "$output" | grep -q '^nameserver 127\.' || false
	echo "$output" | grep -q '^nameserver '
	[ "$(c network inspect "$NET" | jq -r ".[0].Containers[\"$id\"].IPv4Address")" = "$ip/24" ]
	# NAT for the subnet leaving through any other interface.
	nft list table ip "capsa-$NET" | grep -q "ip saddr $SUBNET oifname != \"$BRIDGE\" masquerade"
	c rm "$id"
	assert_net_gone "$id"
	c network rm "$NET"
	assert_network_gone
}

@test "network: two containers on one network reach each other" {
	make_net
	a=$(c run -d --network "$NET" bb httpd -f -p 8080 -h /etc)
	ipa=$(c inspect "$a" | jq -r '.[0].NetworkSettings.IPAddress')
	run c run --rm --network "$NET" bb sh -c \
		"for i in \$(seq 1 100); do timeout 2 wget -q -O - http://$ipa:8080/hostname && exit 0; sleep 0.05; done; exit 1"
	[ "$status" -eq 0 ]
	[ "$output" = "${a:0:12}" ]
	c rm -f "$a"
	assert_net_gone "$a"
}

@test "network: a published port answers on 127.0.0.1 and on the host's address; capsa port lists it" {
	make_net
	id=$(c run -d --network "$NET" -p 8080 bb httpd -f -p 8080 -h /etc)
	port=$(c inspect "$id" | jq -r '.[0].NetworkSettings.Ports["8080/tcp"][0].HostPort')
	[ "$port" -gt 0 ]
	[ "$(c port "$id")" = "8080/tcp -> 0.0.0.0:$port" ]
	[ "$(c port "$id" 8080/tcp)" = "0.0.0.0:$port" ]
	[ "$(c ps --format '{{.Ports}}' -f "id=$id")" = "0.0.0.0:$port->8080/tcp" ]
	c ps | grep -q "0.0.0.0:$port->8080/tcp"
	http_expect "http://127.0.0.1:$port/hostname" "${id:0:12}"
	ext=$(host_addr)
	if [ -n "$ext" ]; then
		http_expect "http://$ext:$port/hostname" "${id:0:12}"
	fi
	nft list chain ip "capsa-$NET" "c-${id:0:12}" | grep -q "dnat to ${PREFIX3}"
	c rm -f "$id"
	assert_net_gone "$id"
	# The port is free again: nothing answers, and another container may take it.
	! curl -sS -m 2 "http://127.0.0.1:$port/hostname" || false
	id2=$(c run -d --network "$NET" -p "$port:8080" bb httpd -f -p 8080 -h /etc)
	http_expect "http://127.0.0.1:$port/hostname" "${id2:0:12}"
	c rm -f "$id2"
	assert_net_gone "$id2"
}

# What a reboot takes away (everything under /run and in the kernel) while the records stay.
forget_kernel_side() {
	local id=$1
	umount "$STORE/run/netns/$id" 2>/dev/null || true
	rm -f "$STORE/run/netns/$id"
	ip link del "veth${id:0:11}" 2>/dev/null || true
	nft delete table ip "capsa-$NET"
	ip link del "$BRIDGE"
}

@test "network: a stopped container starts again after a reboot took its netns, veth, bridge and nft rules" {
	make_net
	port=$(free_port)
	id=$(c run -d --network "$NET" -p "$port:8080" bb httpd -f -p 8080 -h /etc)
	addr=$(c inspect "$id" | jq -r '.[0].NetworkSettings.IPAddress')
	http_expect "http://127.0.0.1:$port/hostname" "${id:0:12}"
	c stop -t 1 "$id" >/dev/null
	forget_kernel_side "$id"
	# A listening socket holds the port meanwhile: start is refused with docker's words and stays stopped.
	python3 -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(); print("up", flush=True); time.sleep(60)' "$port" >"$TEST_TMP/holder" &
	holder=$!
	until grep -q up "$TEST_TMP/holder"; do sleep 0.05; done
	run -125 c start "$id"
	kill "$holder"
	wait "$holder" || true
	[[ "$output" == *"network $NET"*"Bind for 0.0.0.0:$port failed: port is already allocated"* ]]
	[ "$(c inspect "$id" | jq -r '.[0].State.Status')" = exited ]
	! grep -q "$id" "$STORE/networks/ports" || false
	c start "$id" >/dev/null
	[ "$(c inspect "$id" | jq -r '.[0].NetworkSettings.IPAddress')" = "$addr" ]
	http_expect "http://127.0.0.1:$port/hostname" "${id:0:12}"
	c exec "$id" ip route | grep -q "default via ${PREFIX3}1"
	# A restart with all in place makes nothing twice.
	c restart -t 1 "$id" >/dev/null
	http_expect "http://127.0.0.1:$port/hostname" "${id:0:12}"
	[ "$(nft list chain ip "capsa-$NET" "c-${id:0:12}" | grep -c dnat)" -eq 1 ]
	c rm -f "$id"
	assert_net_gone "$id"
}

@test "network: a host port taken by a container or by a listening socket is refused and leaves nothing" {
	make_net
	a=$(c run -d --network "$NET" -p 8080 bb sleep 1000)
	port=$(c port "$a" 8080/tcp | cut -d: -f2)
	run c run -d --network "$NET" -p "$port:80" bb sleep 1000
	[ "$status" -ne 0 ]
	[[ "$output" == *"driver failed programming external connectivity on endpoint"*"Bind for 0.0.0.0:$port failed: port is already allocated"* ]]
	[ "$(c ps -aq | wc -l)" -eq 1 ]
	[ "$(wc -l <"$STORE/networks/$NET/ipam")" -eq 1 ]
	[ "$(grep -c . "$STORE/networks/ports")" -eq 1 ]
	[ "$(ip -o link show master "$BRIDGE" | wc -l)" -eq 1 ]
	[ "$(ls "$STORE/run/netns" | wc -l)" -eq 1 ]

	# A socket listening on the host (not capsa's): found by binding the port.
	busybox nc -l -p 0 >/dev/null 2>&1 &
	ncpid=$!
	lport=""
	for i in $(seq 1 200); do
		lport=$(ss -Hltnp | awk -v p="pid=$ncpid," '$0 ~ p { n = split($4, a, ":"); print a[n] }' | head -1)
		[ -n "$lport" ] && break
		sleep 0.05
	done
	[ -n "$lport" ]
	run c run -d --network "$NET" -p "$lport:80" bb sleep 1000
	kill "$ncpid" 2>/dev/null || true
	wait "$ncpid" 2>/dev/null || true
	[ "$status" -ne 0 ]
	[[ "$output" == *"Bind for 0.0.0.0:$lport failed: port is already allocated"* ]]
	[ "$(c ps -aq | wc -l)" -eq 1 ]
	[ "$(ip -o link show master "$BRIDGE" | wc -l)" -eq 1 ]
	c rm -f "$a"
	assert_net_gone "$a"
	[ ! -s "$STORE/networks/$NET/ipam" ]
	[ "$(ls "$STORE/run/netns" | wc -l)" -eq 0 ]
}

@test "network: 16 concurrent run -d get 16 distinct addresses in the subnet" {
	make_net
	for i in $(seq 1 16); do
		c run -d --network "$NET" bb sleep 1000 >"$TEST_TMP/id.$i" 2>"$TEST_TMP/err.$i" &
	done
	wait
	for i in $(seq 1 16); do
		[ -s "$TEST_TMP/id.$i" ] || { cat "$TEST_TMP/err.$i"; false; }
	done
	ips=$(for i in $(seq 1 16); do c inspect "$(cat "$TEST_TMP/id.$i")" | jq -r '.[0].NetworkSettings.IPAddress'; done)
	[ "$(echo "$ips" | sort -u | wc -l)" -eq 16 ]
	[ "$(echo "$ips" | grep -c "^${PREFIX3//./\\.}")" -eq 16 ]
	[ "$(ip -o link show master "$BRIDGE" | wc -l)" -eq 16 ]
	for i in $(seq 1 16); do
		c rm -f "$(cat "$TEST_TMP/id.$i")" >/dev/null
	done
	for i in $(seq 1 16); do
		assert_net_gone "$(cat "$TEST_TMP/id.$i")"
	done
	[ ! -s "$STORE/networks/$NET/ipam" ]
}

@test "network: rm -f after kill -9 of the monitor and of the container leaves no veth, netns or nft rule" {
	make_net
	id=$(c run -d --network "$NET" -p 8080 bb sleep 1000)
	mon=$(jq -r .monitorPid "$STORE/containers/$id/state.json")
	pid=$(jq -r .pid "$STORE/containers/$id/state.json")
	ip link show "veth${id:0:11}" >/dev/null
	kill -9 "$mon" "$pid"
	c rm -f "$id"
	assert_net_gone "$id"
	[ ! -s "$STORE/networks/$NET/ipam" ]
	c network rm "$NET"
	assert_network_gone
}

@test "network: run --rm releases the network when the container exits" {
	make_net
	run c run --rm --network "$NET" -p 8080 bb sh -c 'ip -4 -o addr show eth0 | wc -l'
	[ "$status" -eq 0 ]
	[ "$output" = "1" ]
	[ "$(c ps -aq | wc -l)" -eq 0 ]
	[ ! -s "$STORE/networks/$NET/ipam" ]
	[ ! -s "$STORE/networks/ports" ]
	[ "$(ip -o link show master "$BRIDGE" | wc -l)" -eq 0 ]
	[ "$(ls "$STORE/run/netns" | wc -l)" -eq 0 ]
	! nft list table ip "capsa-$NET" | grep -q 'chain c-' || false
}

@test "network: rm of a network in use is refused; ls, inspect and prune" {
	make_net
	c network ls | grep -q " $NET "
	c network ls | grep -qE ' (bridge|host|none) '
	[ "$(c network inspect "$NET" | jq -r '.[0].IPAM.Config[0].Subnet')" = "$SUBNET" ]
	id=$(c create --network "$NET" bb true)
	run c network rm "$NET"
	[ "$status" -ne 0 ]
	[[ "$output" == *"network $NET id "*"has active endpoints"* ]]
	# prune keeps a network in use
	c network prune >/dev/null
	c network inspect "$NET" >/dev/null
	c rm "$id"
	assert_net_gone "$id"
	# An address whose container is gone (capsa killed between allocating and recording it) is stale.
	echo "${PREFIX3}77 ${id}0" >>"$STORE/networks/$NET/ipam"
	run c network prune
	[ "$status" -eq 0 ]
	[[ "$output" == *"$NET"* ]]
	assert_network_gone
	run c network rm bridge
	[ "$status" -ne 0 ]
	[[ "$output" == *"bridge is a pre-defined network and cannot be removed"* ]]
}

@test "network: the global --default-network picks the network for run" {
	make_net
	run c --default-network "$NET" run --rm bb sh -c 'ip -4 -o addr show eth0'
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet $PREFIX3"* ]]
	# The helpers' CAPSA_DEFAULT_NETWORK=none: no eth0 without the flag.
	run c run --rm bb sh -c 'ip -o link | grep -c eth0'
	[ "$output" = "0" ]
}

@test "network: a subnet the host already uses is refused naming the interface; the automatic one passes it by" {
	DUMMY="capsa-test-$((RANDOM % 9000 + 1000))"
	ip link add "$DUMMY" type bridge # (no dummy driver on every kernel)
	Y=$(test_subnet_octet 233)
	ip addr add "10.233.$Y.1/24" dev "$DUMMY"
	run c network create --subnet "10.233.$Y.0/24" "$NET"
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid subnet 10.233.$Y.0/24: it is already used on the host by $DUMMY (10.233.$Y.0/24)" ]]
	run c network create --subnet "10.233.$Y.128/25" "$NET"
	[[ "$output" == *"already used on the host by $DUMMY"* ]]
	[ ! -e "$STORE/networks/$NET" ]
	# the subnet capsa would pick, taken on the host meanwhile: the next one is picked
	c network create "$NET" >/dev/null
	auto=$(c network inspect "$NET" | jq -r '.[0].IPAM.Config[0].Subnet')
	c network rm "$NET" >/dev/null
	ip addr add "${auto%.0/24}.1/24" dev "$DUMMY"
	c network create "$NET" >/dev/null
	[ "$(c network inspect "$NET" | jq -r '.[0].IPAM.Config[0].Subnet')" != "$auto" ]
	c network rm "$NET" >/dev/null
}

@test "network: bad --subnet, --gateway, names and -p are refused clearly and leave nothing" {
	for bad in 10.231.0.1/24 300.1.1.0/24 10.231.0.0/33 10.231.0.0/4 nonsense 10.231.0.0; do
		run c network create --subnet "$bad" "$NET"
		[ "$status" -ne 0 ]
		[[ "$output" == *"invalid subnet $bad"* ]]
	done
	run c network create --subnet "$SUBNET" --gateway 10.99.0.1 "$NET"
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid gateway 10.99.0.1: not a host address of $SUBNET"* ]]
	run c network create --subnet "$SUBNET" --bridge-name "this-name-is-too-long" "$NET"
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid interface name \"this-name-is-too-long\""* ]]
	run c network create "bad/name"
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid network name \"bad/name\""* ]]
	[ ! -e "$STORE/networks/$NET" ]
	! nft list table ip "capsa-$NET" 2>/dev/null || false

	make_net
	run c network create --subnet "$SUBNET" "$NET-2"
	[ "$status" -ne 0 ]
	[[ "$output" == *"overlaps with network $NET"* ]]
	run c network create "$NET" --subnet 10.232.0.0/24
	[ "$status" -ne 0 ]
	[[ "$output" == *"network with name $NET already exists"* ]]

	for bad in 80:abc 70000 1-3:1-2 8080:80/sctp 1:2:3:4 abc:80:80 0; do
		run c run --rm --network "$NET" -p "$bad" bb true
		[ "$status" -ne 0 ]
		[[ "$output" == *"invalid port spec \"$bad\""* ]]
	done
	run c run --rm --network nosuch-net-$TEST_ID_PREFIX bb true
	[ "$status" -ne 0 ]
	[[ "$output" == *"network nosuch-net-$TEST_ID_PREFIX not found"* ]]
	run c run --rm --network none -p 8080 bb true
	[ "$status" -ne 0 ]
	[[ "$output" == *"publishing ports needs a bridge network"* ]]
	[ "$(c ps -aq | wc -l)" -eq 0 ]
	[ ! -s "$STORE/networks/$NET/ipam" ]
	[ "$(ip -o link show master "$BRIDGE" | wc -l)" -eq 0 ]
	[ -z "$(ls "$STORE/run/netns" 2>/dev/null)" ]
}

@test "network: -P publishes the image's ExposedPorts (tcp and udp) on ephemeral ports" {
	make_net
	c import -c 'EXPOSE 8080' -c 'EXPOSE 53/udp' "$IMAGES_DIR/rootfs" bbx >/dev/null
	id=$(c run -d -P --network "$NET" bbx httpd -f -p 8080 -h /etc)
	run c port "$id"
	[ "$status" -eq 0 ]
	echo "$output" | grep -qE '^8080/tcp -> 0\.0\.0\.0:[0-9]+$'
	echo "$output" | grep -qE '^53/udp -> 0\.0\.0\.0:[0-9]+$'
	port=$(c port "$id" 8080/tcp | cut -d: -f2)
	http_expect "http://127.0.0.1:$port/hostname" "${id:0:12}"
	run c port "$id" 9999/tcp
	[ "$status" -ne 0 ]
	[[ "$output" == *"no public port '9999/tcp' published for $id"* ]]
	c rm -f "$id"
	assert_net_gone "$id"
	[ ! -s "$STORE/networks/ports" ]
}

@test "network: a create that fails after the network was set up (command not found) leaves nothing" {
	make_net
	run -127 c run --network "$NET" -p 8080 bb /no/such/command
	[ "$status" -eq 127 ]
	[ "$(c ps -aq | wc -l)" -eq 0 ]
	[ ! -s "$STORE/networks/$NET/ipam" ]
	[ ! -s "$STORE/networks/ports" ]
	[ "$(ip -o link show master "$BRIDGE" | wc -l)" -eq 0 ]
	[ -z "$(ls "$STORE/run/netns" 2>/dev/null)" ]
	! grep -q "$STORE/run/netns" /proc/self/mountinfo || false
	! nft list table ip "capsa-$NET" | grep -q 'chain c-' || false
}

# Nothing of container $1's published ports is left (its address and veth may stay): no rule, no
# reservation, and port, ps and inspect show none.
assert_ports_released() {
	local id=$1
	! nft list chain ip "capsa-$NET" "c-${id:0:12}" 2>/dev/null || false
	! nft list map ip "capsa-$NET" ports 2>/dev/null | grep -q "jump c-${id:0:12}" || false
	! grep -q "$id" "$STORE/networks/ports" 2>/dev/null || false
	[ -z "$(c port "$id")" ]
	[ "$(c inspect "$id" | jq -c '.[0].NetworkSettings.Ports')" = "{}" ]
	[ -z "$(c ps -a --format '{{.Ports}}' -f "id=$id")" ]
}

# assert_start_refused ID NAME PORT STATUS: the start fails with docker's words and 125, and leaves the
# container as it was (STATUS), holding no port.
assert_start_refused() {
	run -125 c start "$1"
	[[ "$output" == *"network $NET"*"endpoint $2 ($1)"*"Bind for 0.0.0.0:$3 failed: port is already allocated"* ]]
	[ "$(c inspect "$1" | jq -r '.[0].State.Status')" = "$4" ]
	[[ "$(c inspect "$1" | jq -r '.[0].State.Error')" == *"port is already allocated"* ]]
	assert_ports_released "$1"
}

# take_port HOLDER ID PORT: HOLDER goes (rm -f); ID starts, takes PORT, answers on it, and no longer
# shows the refused start's error.
take_port() {
	c rm -f "$1"
	assert_net_gone "$1"
	c start "$2" >/dev/null
	http_expect "http://127.0.0.1:$3/hostname" "${2:0:12}"
	[ "$(c port "$2")" = "8080/tcp -> 0.0.0.0:$3" ]
	# the refused start's error is over, as docker's State.Error
	[ -z "$(c inspect "$2" | jq -r '.[0].State.Error')" ]
}

@test "network: a stopped container frees its host port for another; its start is refused until the port is free" {
	make_net
	port=$(free_port)
	a=$(c run -d --network "$NET" --name "$TEST_ID_PREFIX-a" -p "$port:8080" bb httpd -f -p 8080 -h /etc)
	addr=$(c inspect "$a" | jq -r '.[0].NetworkSettings.IPAddress')
	http_expect "http://127.0.0.1:$port/hostname" "${a:0:12}"
	c stop -t 1 "$a" >/dev/null
	assert_ports_released "$a"
	# What run asked for is still there, as docker's HostConfig.PortBindings.
	[ "$(c inspect "$a" | jq -c '.[0].HostConfig.PortBindings')" = "{\"8080/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"$port\"}]}" ]
	# Its address stays (as podman's does).
	[ "$(c inspect "$a" | jq -r '.[0].NetworkSettings.IPAddress')" = "$addr" ]
	b=$(c run -d --network "$NET" -p "$port:8080" bb httpd -f -p 8080 -h /etc)
	http_expect "http://127.0.0.1:$port/hostname" "${b:0:12}"

	# The port is b's: a's start fails with docker's words and leaves a as it was.
	assert_start_refused "$a" "$TEST_ID_PREFIX-a" "$port" exited
	[ "$(grep -c . "$STORE/networks/ports")" -eq 1 ]
	[ "$(nft list chain ip "capsa-$NET" "c-${b:0:12}" | grep -c dnat)" -eq 1 ]
	http_expect "http://127.0.0.1:$port/hostname" "${b:0:12}"

	take_port "$b" "$a" "$port"
	[ "$(c ps --format '{{.Ports}}' -f "id=$a")" = "0.0.0.0:$port->8080/tcp" ]
	[ "$(c inspect "$a" | jq -r '.[0].NetworkSettings.Ports["8080/tcp"][0].HostPort')" = "$port" ]
	[ "$(c inspect "$a" | jq -r '.[0].NetworkSettings.IPAddress')" = "$addr" ]
	c rm -f "$a"
	assert_net_gone "$a"
	[ ! -s "$STORE/networks/ports" ]
}

@test "network: created containers hold no host port; a start finds it taken, is refused and leaves it created" {
	make_net
	port=$(free_port)
	a=$(c create --network "$NET" -p "$port:8080" bb httpd -f -p 8080 -h /etc)
	b=$(c create --network "$NET" --name "$TEST_ID_PREFIX-b" -p "$port:8080" bb httpd -f -p 8080 -h /etc)
	assert_ports_released "$a"
	assert_ports_released "$b"
	[ "$(c inspect "$b" | jq -c '.[0].HostConfig.PortBindings')" = "{\"8080/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"$port\"}]}" ]
	c start "$a" >/dev/null
	http_expect "http://127.0.0.1:$port/hostname" "${a:0:12}"
	[ "$(c port "$a")" = "8080/tcp -> 0.0.0.0:$port" ]
	# b's start: docker's words, exit 125, b still created and holding nothing, a untouched
	assert_start_refused "$b" "$TEST_ID_PREFIX-b" "$port" created
	http_expect "http://127.0.0.1:$port/hostname" "${a:0:12}"
	# once a is gone, b starts, takes the port and ends with its own status, not the refused start's
	take_port "$a" "$b" "$port"
	c kill -s KILL "$b" >/dev/null
	[ "$(c wait "$b")" = 137 ]
	assert_ports_released "$b"
	c rm "$b"
	assert_net_gone "$b"
	[ ! -s "$STORE/networks/ports" ]
}

@test "network: a container that exits on its own releases its ports; -P gets a port again at each start" {
	make_net
	c import -c 'EXPOSE 8080' "$IMAGES_DIR/rootfs" bbx >/dev/null
	id=$(c run -d -P --network "$NET" bbx httpd -f -p 8080 -h /etc)
	port=$(c port "$id" 8080/tcp | cut -d: -f2)
	[ "$port" -gt 0 ]
	http_expect "http://127.0.0.1:$port/hostname" "${id:0:12}"
	c kill "$id" >/dev/null
	c wait "$id" >/dev/null || true
	assert_ports_released "$id"
	[ "$(c inspect "$id" | jq -c '.[0].HostConfig.PortBindings["8080/tcp"]')" = '[{"HostIp":"","HostPort":""}]' ]
	c start "$id" >/dev/null
	port2=$(c port "$id" 8080/tcp | cut -d: -f2)
	[ "$port2" -gt 0 ]
	http_expect "http://127.0.0.1:$port2/hostname" "${id:0:12}"
	[ "$(grep -c "$id" "$STORE/networks/ports")" -eq 1 ]
	[ "$(nft list chain ip "capsa-$NET" "c-${id:0:12}" | grep -c dnat)" -eq 1 ]
	c rm -f "$id"
	assert_net_gone "$id"

	# One that ends by itself: created, it holds no port (the start takes it, as docker's); once its
	# process exited, none.
	id=$(c create -p 8080 --network "$NET" bb sh -c 'exit 7')
	assert_ports_released "$id"
	run -7 c start -a "$id"
	assert_ports_released "$id"
	c rm "$id"
	assert_net_gone "$id"
	[ ! -s "$STORE/networks/ports" ]
}

@test "network: a stop releases every published port in one go, and each one when a rule is already gone" {
	make_net
	p1=$(free_port)
	p2=$(free_port)
	id=$(c run -d --network "$NET" -p "$p1:8080" -p "$p2:8081/udp" bb sleep 1000)
	[ "$(nft list chain ip "capsa-$NET" "c-${id:0:12}" | grep -c dnat)" -eq 2 ]
	c stop -t 0 "$id" >/dev/null
	assert_ports_released "$id"
	# Started again, one of its rules removed by hand: the stop still removes the rest and the chain.
	c start "$id" >/dev/null
	nft delete element ip "capsa-$NET" ports "{ tcp . $p1 }"
	c stop -t 0 "$id" >/dev/null
	assert_ports_released "$id"
	c rm "$id" >/dev/null
	assert_net_gone "$id"
}

@test "network: a restart policy keeps the container's port across its restarts" {
	make_net
	port=$(free_port)
	# Fails once, then serves: the monitor restarts it once.
	id=$(c run -d --restart on-failure --network "$NET" -p "$port:8080" bb \
		sh -c 'if [ -e /ran ]; then exec httpd -f -p 8080 -h /etc; fi; touch /ran; exit 3')
	http_expect "http://127.0.0.1:$port/hostname" "${id:0:12}"
	[ "$(c inspect "$id" | jq -r '.[0].RestartCount')" -eq 1 ]
	[ "$(c port "$id")" = "8080/tcp -> 0.0.0.0:$port" ]
	[ "$(grep -c "$id" "$STORE/networks/ports")" -eq 1 ]
	[ "$(nft list chain ip "capsa-$NET" "c-${id:0:12}" | grep -c dnat)" -eq 1 ]
	c rm -f "$id"
	assert_net_gone "$id"
}

@test "network: after kill -9 of the monitor and the container, start brings its port back and rm -f releases it" {
	make_net
	port=$(free_port)
	id=$(c run -d --network "$NET" -p "$port:8080" bb httpd -f -p 8080 -h /etc)
	http_expect "http://127.0.0.1:$port/hostname" "${id:0:12}"
	mon=$(jq -r .monitorPid "$STORE/containers/$id/state.json")
	pid=$(jq -r .pid "$STORE/containers/$id/state.json")
	kill -9 "$mon" "$pid"
	# Dead: the runtime's word once it sees the init gone.
	wait_for status_is "$id" dead
	c start "$id" >/dev/null
	http_expect "http://127.0.0.1:$port/hostname" "${id:0:12}"
	[ "$(grep -c "$id" "$STORE/networks/ports")" -eq 1 ]
	[ "$(nft list chain ip "capsa-$NET" "c-${id:0:12}" | grep -c dnat)" -eq 1 ]
	c stop -t 1 "$id" >/dev/null
	assert_ports_released "$id"
	c start "$id" >/dev/null
	http_expect "http://127.0.0.1:$port/hostname" "${id:0:12}"
	mon=$(jq -r .monitorPid "$STORE/containers/$id/state.json")
	pid=$(jq -r .pid "$STORE/containers/$id/state.json")
	kill -9 "$mon" "$pid"
	c rm -f "$id"
	assert_net_gone "$id"
	[ ! -s "$STORE/networks/ports" ]
}

@test "network: two stopped containers asking for one host port, started at once: one gets it, the other is refused" {
	make_net
	port=$(free_port)
	a=$(c run -d --network "$NET" -p "$port:8080" bb httpd -f -p 8080 -h /etc)
	c stop -t 1 "$a" >/dev/null
	# Created while a is stopped: the port is free then, so b holds it until it stops too.
	b=$(c run -d --network "$NET" -p "$port:8080" bb httpd -f -p 8080 -h /etc)
	c stop -t 1 "$b" >/dev/null
	[ ! -s "$STORE/networks/ports" ]
	c start "$a" >"$TEST_TMP/a.out" 2>&1 &
	pa=$!
	c start "$b" >"$TEST_TMP/b.out" 2>&1 &
	pb=$!
	ra=0 rb=0
	wait "$pa" || ra=$?
	wait "$pb" || rb=$?
	if [ "$ra" -eq 0 ]; then win=$a lose=$b rl=$rb out=$TEST_TMP/b.out; else win=$b lose=$a rl=$ra out=$TEST_TMP/a.out; fi
	cat "$TEST_TMP/a.out" "$TEST_TMP/b.out"
	[ "$rl" -eq 125 ]
	grep -q "Bind for 0.0.0.0:$port failed: port is already allocated" "$out"
	[ "$(c inspect "$lose" | jq -r '.[0].State.Status')" = exited ]
	[ "$(grep -c . "$STORE/networks/ports")" -eq 1 ]
	grep -q "$win" "$STORE/networks/ports"
	! nft list chain ip "capsa-$NET" "c-${lose:0:12}" 2>/dev/null || false
	http_expect "http://127.0.0.1:$port/hostname" "${win:0:12}"
	c rm -f "$a" "$b" >/dev/null
	assert_net_gone "$a"
	assert_net_gone "$b"
}
