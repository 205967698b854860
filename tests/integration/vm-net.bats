#!/usr/bin/env bats
# Micro-VM networking: taps on a capsa bridge (netns/tap.c) and the VMM's virtio-net device driven by the
# guest program vm/guest/net.c through tests/helpers/vmnet, which plays the wire on the tap's host side.

load helpers
bats_require_minimum_version 1.5.0

VMNET="$TEST_HELPERS/vmnet"
GUESTS="${CAPSA_VM_GUESTS:-$CAPSA_TOP/build/vm/guest}"

setup() {
	[ -x "$VMNET" ] || skip "vmnet not built (make test-helpers)"
	[ -c /dev/net/tun ] || skip "no /dev/net/tun on this host"
	capsa_setup_tmp
	# Interface names stop at 15 characters: the test's own 6-character key keeps them apart.
	KEY=${TEST_ID_PREFIX#capsa-test-}
	TAP="capsa-t$KEY"
	BR="capsa-b$KEY"
}

teardown() {
	ip link del "$TAP" 2>/dev/null || true
	ip link del "$BR" 2>/dev/null || true
	[ -z "${STORE:-}" ] || capsa_cli_cleanup
	[ -z "${NET:-}" ] || c network rm "$NET" >/dev/null 2>&1 || true
	capsa_teardown_tmp
}

need_kvm() {
	[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "no usable /dev/kvm on this host"
	[ -f "$GUESTS/net.elf" ] || skip "guest programs not built (make vm-guests)"
}

no_link() {
	! ip link show "$1" >/dev/null 2>&1 || false
}

@test "vm-net: the guest's ARP request reaches the tap and 20 full-size frames come back unchanged" {
	need_kvm
	run "$VMNET" --count 20 --size 1514 "$TAP" "$GUESTS/net.elf"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"net: mac 2:ca:95:0:0:2a"* ]]
	[[ "$output" == *"host: arp who-has 192.0.2.1 tell 192.0.2.15 from 02:ca:95:00:00:2a"* ]]
	[[ "$output" == *"host: 20 echoes of 1514 bytes ok"* ]]
	[[ "$output" == *"net: echoed 20 frames"* ]]
	[[ "$output" =~ exits:\ total\ [0-9]+ ]]
	# The tap was not persistent: it went with the VMM.
	no_link "$TAP"
}

@test "vm-net: 200 small frames injected at once all come back in order" {
	need_kvm
	run "$VMNET" --count 200 --size 60 "$TAP" "$GUESTS/net.elf"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"host: 200 echoes of 60 bytes ok"* ]]
	no_link "$TAP"
}

@test "vm-net: hostile transmit descriptors kill the queue, not the VMM; the device works after a reset" {
	need_kvm
	run "$VMNET" --cmdline do=evil "$TAP" "$GUESTS/net.elf"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"evil buffer outside RAM: refused"* ]]
	[[ "$output" == *"evil header-only chain: dropped"* ]]
	[[ "$output" == *"descriptor 0 points outside guest memory"* ]]
	[[ "$output" == *"host: arp who-has 192.0.2.1"* ]]
	no_link "$TAP"
}

@test "vm-net: a tap is enslaved to the bridge and up, and deleted again" {
	ip link add "$BR" type bridge
	run "$VMNET" --bridge "$BR" --keep "$TAP" unused
	[ "$status" -eq 0 ]
	run ip -d link show "$TAP"
	echo "$output"
	[[ "$output" == *"master $BR"* ]]
	[[ "$output" == *"state UP"* || "$output" == *",UP"* ]]
	[[ "$output" == *"tun type tap"* ]]
	run "$VMNET" --delete "$TAP"
	[ "$status" -eq 0 ]
	no_link "$TAP"
	# Deleting what is already gone is not an error.
	run "$VMNET" --delete "$TAP"
	[ "$status" -eq 0 ]
}

@test "vm-net: bad tap names, a taken name and a missing bridge are refused with the reason; nothing is left" {
	run "$VMNET" --keep "eth$KEY" unused
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid tap name \"eth$KEY\": must start with \"capsa-\""* ]]
	no_link "eth$KEY"
	run "$VMNET" --keep "capsa-t${KEY}toolong" unused
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid tap name \"capsa-t${KEY}toolong\": 7 to 15 characters"* ]]
	run "$VMNET" --keep "capsa-t/$KEY" unused
	[ "$status" -eq 125 ]
	[[ "$output" == *"only [a-zA-Z0-9_.-]"* ]]

	ip link add "$BR" type bridge
	run "$VMNET" --keep "$BR" unused
	[ "$status" -eq 125 ]
	[[ "$output" == *"tap $BR: an interface of that name exists"* ]]
	# --delete removes taps only, never another kind of interface that has a capsa- name.
	run "$VMNET" --delete "$BR"
	[ "$status" -eq 125 ]
	[[ "$output" == *"remove tap $BR: the interface is not a tap"* ]]
	ip link show "$BR" >/dev/null
	ip link del "$BR"

	# A persistent tap whose bridge is missing is removed again.
	run "$VMNET" --keep --bridge "$BR" "$TAP" unused
	[ "$status" -eq 125 ]
	[[ "$output" == *"bridge $BR"* ]]
	no_link "$TAP"
}

# capsa-vminit's network record under User-mode Linux (eth0=tuntap,TAP): the guest's eth0 gets the
# address, the default route goes through the gateway on the bridge, and a ping to it is answered. The disk
# is the one capsa run --vm makes for the image (with this tree's vminit); the config block is written here.
@test "vm-net: UML on a tap on a bridge: vminit configures eth0 from the config and reaches the gateway" {
	UML=${CAPSA_UML:-/usr/bin/linux.uml}
	[ -x "$UML" ] || skip "$UML is not installed (user-mode-linux; make deps)"
	[ -x "$CAPSA_TOP/build/capsa-vminit" ] || skip "build/capsa-vminit is not built (make all)"
	capsa_cli_setup
	make_busybox_rootfs "$TEST_TMP/rootfs"
	c import "$TEST_TMP/rootfs" bb >/dev/null
	c run --vm --name "$(cid disk)" bb true
	c rm "$(cid disk)" >/dev/null
	disk=$(ls "$STORE"/vm/*.ext4)

	ip link add "$BR" type bridge
	ip addr add 10.213.7.1/24 dev "$BR"
	ip link set "$BR" up
	"$VMNET" --keep --bridge "$BR" "$TAP" unused
	python3 - "$TEST_TMP/config" <<'PY'
import sys
recs = [b"a/bin/sh", b"a-c", b"aip addr show eth0; ip route; ping -c 1 -W 30 10.213.7.1",
        b"u0:0", b"w/", b"n10.213.7.5/24 10.213.7.1"]
body = b"".join(r + b"\0" for r in recs)
blk = b"CAPSAVM1" + len(body).to_bytes(4, "little") + body
open(sys.argv[1], "wb").write(blk.ljust(65536, b"\0"))
PY
	mkdir "$TEST_TMP/uml"
	TMPDIR="$TEST_TMP/uml" timeout 120 "$UML" mem=128M "ubda=$TEST_TMP/uml/cow,$disk" \
		"ubdb=$TEST_TMP/config" root=/dev/ubda rw init=/capsa-vminit quiet "umid=$TEST_ID_PREFIX" \
		"uml_dir=$TEST_TMP/uml" con=null con0=null,fd:1 con1=null,fd:3 con2=null,fd:4 "eth0=tuntap,$TAP" \
		3>"$TEST_TMP/out" 4>"$TEST_TMP/err" >"$TEST_TMP/kernel.log" 2>&1 </dev/null
	cat "$TEST_TMP/out" "$TEST_TMP/err"
	grep -q "inet 10.213.7.5/24" "$TEST_TMP/out"
	grep -q "default via 10.213.7.1 dev eth0" "$TEST_TMP/out"
	grep -q "1 packets received" "$TEST_TMP/out"
	[ "$(dd if="$TEST_TMP/config" bs=1 skip=61440 count=10 2>/dev/null)" = "CAPSAEX1 0" ]
	! pgrep -f "uml_dir=$TEST_TMP/uml" >/dev/null || false
	"$VMNET" --delete "$TAP"
	no_link "$TAP"

	# The same config without a network device: the VM does not run without the network it was given.
	rm -f "$TEST_TMP/uml/cow"
	dd if=/dev/zero of="$TEST_TMP/config" bs=1 seek=61440 count=512 conv=notrunc 2>/dev/null
	TMPDIR="$TEST_TMP/uml" timeout 120 "$UML" mem=128M "ubda=$TEST_TMP/uml/cow,$disk" \
		"ubdb=$TEST_TMP/config" root=/dev/ubda rw init=/capsa-vminit quiet "umid=$TEST_ID_PREFIX" \
		"uml_dir=$TEST_TMP/uml" con=null con0=null,fd:1 con1=null,fd:3 con2=null,fd:4 \
		3>"$TEST_TMP/out" 4>"$TEST_TMP/err" >"$TEST_TMP/kernel.log" 2>&1 </dev/null
	cat "$TEST_TMP/err"
	grep -q "capsa-vminit: network: eth0 address: No such device" "$TEST_TMP/err"
	[ ! -s "$TEST_TMP/out" ]
	[ "$(dd if="$TEST_TMP/config" bs=1 skip=61440 count=12 2>/dev/null)" = "CAPSAEX1 125" ]
}

need_uml() {
	UML=${CAPSA_UML:-/usr/bin/linux.uml}
	[ -x "$UML" ] || skip "$UML is not installed (user-mode-linux; make deps)"
	[ -x "$CAPSA_TOP/build/capsa-vminit" ] || skip "build/capsa-vminit is not built (make all)"
	capsa_cli_setup
	make_busybox_rootfs "$TEST_TMP/rootfs"
	c import "$TEST_TMP/rootfs" bb >/dev/null
	NET="$TEST_ID_PREFIX"
	# A subnet of its own (helpers.bash: test_subnet_octet).
	X=$(test_subnet_octet 232)
	PREFIX3="10.232.$X."
	c network create --subnet "${PREFIX3}0/24" "$NET" >/dev/null
}

# Nothing of VM $1 (full id) is left: no tap, no address in the network's IPAM, no network record.
assert_vm_net_gone() {
	local id=$1
	! ip link show "capsa-t${id:0:8}" 2>/dev/null || false
	! grep -q "$id" "$STORE/networks/$NET/ipam" 2>/dev/null || false
	[ ! -e "$STORE/containers/$id/network.json" ]
}

@test "vm-net: run --vm --network: eth0 has the network's address, the gateway answers, a container on the network too" {
	need_uml
	ctr=$(c run -d --network "$NET" --name "$(cid ctr)" bb sleep 300)
	cip=$(c inspect "$ctr" | jq -r '.[0].NetworkSettings.Networks[].IPAddress')
	[[ "$cip" == "$PREFIX3"* ]]
	run c run --vm --network "$NET" --name "$(cid vm)" bb sh -c \
		"ip -4 addr show eth0 | grep inet; ip route; ping -c 1 -W 30 ${PREFIX3}1 && ping -c 1 -W 30 $cip"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet ${PREFIX3}"*"/24"* ]]
	[[ "$output" == *"default via ${PREFIX3}1 dev eth0"* ]]
	[ "$(echo "$output" | grep -c '1 packets received')" -eq 2 ]
	vm=$(c inspect --format '{{.Id}}' "$(cid vm)" 2>/dev/null || c ps -aq --no-trunc --filter "name=$(cid vm)")
	[ -n "$vm" ]
	ip link show "capsa-t${vm:0:8}" | grep -q "master"
	c rm "$(cid vm)" >/dev/null
	assert_vm_net_gone "$vm"
	c rm -f "$ctr" >/dev/null
}

@test "vm-net: run --vm --rm on a network leaves no tap and no address; rm -f after kill -9 of linux.uml neither" {
	need_uml
	run c run --rm --vm --network "$NET" bb sh -c 'ip -4 addr show eth0 | grep -c inet'
	[ "$status" -eq 0 ]
	[ "$output" = "1" ]
	[ -z "$(ip -o link show | grep -o 'capsa-t[^:@]*' | while read -r t; do
		ip -d link show "$t" | grep -q "master $(c network inspect "$NET" |
			jq -r '.[0].Options["com.docker.network.bridge.name"]')" && echo "$t"
	done)" ]
	[ -z "$(cat "$STORE/networks/$NET/ipam" 2>/dev/null)" ]

	vm=$(c run -d --vm --network "$NET" --name "$(cid k)" bb sleep 300)
	local pid=""
	for _ in $(seq 1 600); do
		pid=$(pgrep -o -f "ubdb=$STORE/run/vm-${vm:0:12}/config") && break
		sleep 0.1
	done
	[ -n "$pid" ]
	ip link show "capsa-t${vm:0:8}" >/dev/null
	kill -9 "$pid"
	c rm -f "$vm" >/dev/null
	assert_vm_net_gone "$vm"
}

@test "vm-net: run --vm refuses --network host, -p without a bridge network and an unknown network, leaving nothing" {
	need_uml
	run c run --vm --network host bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--network host: a micro-VM has its own kernel"* ]]
	run c run --vm --network none -p 8080:80 bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"publishing ports needs a bridge network, not --network none"* ]]
	run c run --vm --network "$NET" -p 8080:80 -p 8080:81 bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"network $NET: host port 8080/tcp is published twice"* ]]
	run c run --vm --network "$NET" -p 80800:80 bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"80800"* ]]
	# A port a socket on the host listens on (not capsa's) is refused with docker's words.
	python3 -c 'import socket,time; s=socket.socket(); s.bind(("0.0.0.0", 0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)' >"$TEST_TMP/holder" &
	holder=$!
	until [ -s "$TEST_TMP/holder" ]; do sleep 0.05; done
	lport=$(cat "$TEST_TMP/holder")
	run c run --vm --network "$NET" --name "$(cid held)" -p "$lport:80" bb true
	kill "$holder"
	wait "$holder" || true
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"endpoint $(cid held)"*"Bind for 0.0.0.0:$lport failed: port is already allocated"* ]]
	br=$(c network inspect "$NET" | jq -r '.[0].Options["com.docker.network.bridge.name"]')
	[ -z "$(ip -o link show master "$br" 2>/dev/null)" ]
	run c run --vm --network "${NET}-nosuch" bb true
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"${NET}-nosuch"* ]]
	[ -z "$(c ps -aq)" ]
	[ -z "$(cat "$STORE/networks/$NET/ipam" 2>/dev/null)" ]
	[ -z "$(cat "$STORE/networks/ports" 2>/dev/null)" ]
}

# A host port nobody listens on now (the kernel's choice of an ephemeral one).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])'
}

# Polls (bounded by tries, not by time: a UML boot takes 1.5-7 s here) until GET $1 answers $2.
http_expect() {
	local url=$1 want=$2 i out=""
	for i in $(seq 1 300); do
		out=$(curl -sS -m 2 "$url" 2>/dev/null) && [ "$out" = "$want" ] && return 0
		sleep 0.1
	done
	echo "no answer $want from $url (last: $out)" >&2
	return 1
}

host_addr() {
	ip -4 -o addr show scope global | awk '{ split($4, a, "/"); print a[1] }' | grep -v '^10\.' | head -1
}

# Nothing of VM $1 (full id) on its network, its ports included: no DNAT chain, no host port registered.
assert_vm_ports_gone() {
	local id=$1
	assert_vm_net_gone "$id"
	! nft list chain ip "capsa-$NET" "c-${id:0:12}" 2>/dev/null || false
	! grep -q "$id" "$STORE/networks/ports" 2>/dev/null || false
}

# The guest's busybox httpd serves a file written in the guest (its root is writable).
VM_HTTPD='mkdir -p /tmp/www && echo "vm $(hostname)" >/tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www'

@test "vm-net: run -d --vm -p answers on 127.0.0.1 and the host's address; port, ps and inspect; a taken port is refused" {
	need_uml
	port=$(free_port)
	vm=$(c run -d --vm --network "$NET" --hostname web -p "$port:8080" --name "$(cid vm)" bb sh -c "$VM_HTTPD")
	addr=$(c inspect "$vm" | jq -r '.[0].NetworkSettings.IPAddress')
	[[ "$addr" == "$PREFIX3"* ]]
	[ "$(c inspect "$vm" | jq -r '.[0].NetworkSettings.Ports["8080/tcp"][0].HostPort')" = "$port" ]
	[ "$(c port "$vm")" = "8080/tcp -> 0.0.0.0:$port" ]
	[ "$(c port "$vm" 8080/tcp)" = "0.0.0.0:$port" ]
	[ "$(c ps --format '{{.Ports}}' -f "id=$vm")" = "0.0.0.0:$port->8080/tcp" ]
	nft list chain ip "capsa-$NET" "c-${vm:0:12}" | grep -q "dnat to $addr:8080"
	# The guest's eth0 has the MAC inspect reports.
	mac=$(c inspect "$vm" | jq -r '.[0].NetworkSettings.MacAddress')
	[[ "$mac" == 02:ca:95:* ]]
	http_expect "http://127.0.0.1:$port/" "vm web"
	# The host's address on the network's bridge (the gateway) and its other address.
	http_expect "http://${PREFIX3}1:$port/" "vm web"
	ext=$(host_addr)
	if [ -n "$ext" ]; then
		http_expect "http://$ext:$port/" "vm web"
	fi
	ip neigh show "$addr" | grep -q "$mac"

	# The port is the VM's: another VM or a container asking for it is refused with docker's words.
	run c run -d --vm --network "$NET" --name "$(cid b)" -p "$port:80" bb true
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"driver failed programming external connectivity on endpoint $(cid b)"*"Bind for 0.0.0.0:$port failed: port is already allocated"* ]]
	run c run -d --network "$NET" --name "$(cid c)" -p "$port:80" bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Bind for 0.0.0.0:$port failed: port is already allocated"* ]]
	[ "$(c ps -aq | wc -l)" -eq 1 ]
	[ "$(grep -c . "$STORE/networks/ports")" -eq 1 ]
	[ "$(grep -c . "$STORE/networks/$NET/ipam")" -eq 1 ]
	# On the bridge: the VM's tap alone (no tap, no veth of the refused ones).
	br=$(c network inspect "$NET" | jq -r '.[0].Options["com.docker.network.bridge.name"]')
	[ "$(ip -o link show master "$br" | grep -c .)" -eq 1 ]

	c rm -f "$vm" >/dev/null
	assert_vm_ports_gone "$vm"
	! curl -sS -m 2 "http://127.0.0.1:$port/" || false
}

@test "vm-net: a stopped VM starts again with its port after its tap and the network's rules are gone; restart" {
	need_uml
	port=$(free_port)
	vm=$(c run -d --vm --network "$NET" -p "$port:8080" --name "$(cid vm)" bb sh -c "$VM_HTTPD")
	http_expect "http://127.0.0.1:$port/" "vm ${vm:0:12}"
	c stop -t 10 "$vm" >/dev/null
	# What a reboot takes: the tap and the nft table (the records stay).
	ip link del "capsa-t${vm:0:8}"
	nft delete table ip "capsa-$NET"
	c start "$vm" >/dev/null
	http_expect "http://127.0.0.1:$port/" "vm ${vm:0:12}"
	ip link show "capsa-t${vm:0:8}" | grep -q master
	# A restart with all in place makes nothing twice, and the host's neighbour entry still fits.
	c restart -t 10 "$vm" >/dev/null
	http_expect "http://127.0.0.1:$port/" "vm ${vm:0:12}"
	[ "$(nft list chain ip "capsa-$NET" "c-${vm:0:12}" | grep -c dnat)" -eq 1 ]
	c rm -f "$vm" >/dev/null
	assert_vm_ports_gone "$vm"
}

@test "vm-net: a stopped VM frees its port for a container; its start is refused until the port is free again" {
	need_uml
	port=$(free_port)
	vm=$(c run -d --vm --network "$NET" -p "$port:8080" --name "$(cid vm)" bb sh -c "$VM_HTTPD")
	http_expect "http://127.0.0.1:$port/" "vm ${vm:0:12}"
	c stop -t 10 "$vm" >/dev/null
	# Stopped: no port shown, no rule, no reservation; the tap and the address stay.
	[ -z "$(c port "$vm")" ]
	[ "$(c inspect "$vm" | jq -c '.[0].NetworkSettings.Ports')" = "{}" ]
	[ -z "$(c ps -a --format '{{.Ports}}' -f "id=$vm")" ]
	! nft list chain ip "capsa-$NET" "c-${vm:0:12}" 2>/dev/null || false
	! grep -q "$vm" "$STORE/networks/ports" || false
	ip link show "capsa-t${vm:0:8}" >/dev/null
	ctr=$(c run -d --network "$NET" -p "$port:8080" bb httpd -f -p 8080 -h /etc)
	http_expect "http://127.0.0.1:$port/hostname" "${ctr:0:12}"

	run -125 c start "$vm"
	echo "$output"
	[[ "$output" == *"endpoint $(cid vm) ($vm)"*"Bind for 0.0.0.0:$port failed: port is already allocated"* ]]
	[ "$(c inspect "$vm" | jq -r '.[0].State.Status')" = exited ]
	! nft list chain ip "capsa-$NET" "c-${vm:0:12}" 2>/dev/null || false
	[ "$(grep -c . "$STORE/networks/ports")" -eq 1 ]
	! pgrep -f "ubdb=$STORE/run/vm-${vm:0:12}/config" || false
	http_expect "http://127.0.0.1:$port/hostname" "${ctr:0:12}"

	c rm -f "$ctr" >/dev/null
	c start "$vm" >/dev/null
	http_expect "http://127.0.0.1:$port/" "vm ${vm:0:12}"
	[ "$(c port "$vm")" = "8080/tcp -> 0.0.0.0:$port" ]
	c rm -f "$vm" >/dev/null
	assert_vm_ports_gone "$vm"
	[ ! -s "$STORE/networks/ports" ]
}

@test "vm-net: -P on a VM publishes the image's ExposedPorts; rm -f after kill -9 of the monitor leaves no rule" {
	need_uml
	c import -c 'EXPOSE 8080' -c 'EXPOSE 53/udp' "$TEST_TMP/rootfs" bbx >/dev/null
	vm=$(c run -d --vm --network "$NET" -P --name "$(cid vm)" bbx sh -c "$VM_HTTPD")
	run c port "$vm"
	[ "$(echo "$output" | grep -c .)" -eq 2 ]
	[[ "$output" == *"53/udp -> 0.0.0.0:"* ]]
	port=$(c port "$vm" 8080/tcp | cut -d: -f2)
	[ "$port" -gt 0 ]
	http_expect "http://127.0.0.1:$port/" "vm ${vm:0:12}"
	mon=$(jq -r .monitorPid "$STORE/containers/$vm/state.json")
	[ "$mon" -gt 0 ]
	kill -9 "$mon"
	c rm -f "$vm" >/dev/null
	assert_vm_ports_gone "$vm"
	[ ! -s "$STORE/networks/ports" ]
	! nft list table ip "capsa-$NET" | grep -q 'chain c-' || false
	! pgrep -f "ubdb=$STORE/run/vm-${vm:0:12}/config" || false
}

@test "vm-net: a VM's -P port is released when it exits and a port is taken again at its next start" {
	need_uml
	c import -c 'EXPOSE 8080' "$TEST_TMP/rootfs" bbx >/dev/null
	vm=$(c run -d --vm --network "$NET" -P --name "$(cid vm)" bbx sh -c "$VM_HTTPD")
	port=$(c port "$vm" 8080/tcp | cut -d: -f2)
	http_expect "http://127.0.0.1:$port/" "vm ${vm:0:12}"
	c kill "$vm" >/dev/null
	c wait "$vm" >/dev/null || true
	[ -z "$(c port "$vm")" ]
	! grep -q "$vm" "$STORE/networks/ports" || false
	! nft list chain ip "capsa-$NET" "c-${vm:0:12}" 2>/dev/null || false
	[ "$(c inspect "$vm" | jq -c '.[0].HostConfig.PortBindings["8080/tcp"]')" = '[{"HostIp":"","HostPort":""}]' ]
	c start "$vm" >/dev/null
	port2=$(c port "$vm" 8080/tcp | cut -d: -f2)
	[ "$port2" -gt 0 ]
	http_expect "http://127.0.0.1:$port2/" "vm ${vm:0:12}"
	[ "$(grep -c "$vm" "$STORE/networks/ports")" -eq 1 ]
	c rm -f "$vm" >/dev/null
	assert_vm_ports_gone "$vm"
	[ ! -s "$STORE/networks/ports" ]
}

@test "vm-net: the guest's hostname, /etc/hostname, /etc/hosts and /etc/resolv.conf are a container's on the network" {
	need_uml
	# A link in the image (to a resolver's file that is not there) is replaced, not followed.
	ln -s ../run/nosuch/resolv.conf "$TEST_TMP/rootfs/etc/resolv.conf"
	c import "$TEST_TMP/rootfs" bbl >/dev/null
	show='hostname; echo --; cat /etc/hostname; echo --; cat /etc/hosts; echo --; cat /etc/resolv.conf'
	run c run --vm --network "$NET" --name "$(cid vm)" bbl sh -c "$show"
	echo "$output"
	[ "$status" -eq 0 ]
	vm=$(c ps -aq --no-trunc --filter "name=$(cid vm)")
	addr=$(c inspect "$vm" | jq -r '.[0].NetworkSettings.IPAddress')
	[ "$(echo "$output" | head -1)" = "${vm:0:12}" ]
	echo "$output" | grep -qE "^$addr[[:space:]]+${vm:0:12} $(cid vm)\$"
	echo "$output" | grep -q '^nameserver '
	! echo "$output" | grep -q '^nameserver 127\.' || false
	# The container's files on the same network, with its own id, name and address put in their place.
	ctr_out=$(c run --network "$NET" --name "$(cid ctr)" bb sh -c "$show")
	ctr=$(c ps -aq --no-trunc --filter "name=$(cid ctr)")
	caddr=$(c inspect "$ctr" | jq -r '.[0].NetworkSettings.IPAddress')
	[ "$(echo "$ctr_out" | sed "s/${ctr:0:12}/ID/g; s/$(cid ctr)/NAME/; s/$caddr/ADDR/")" = \
		"$(echo "$output" | sed "s/${vm:0:12}/ID/g; s/$(cid vm)/NAME/; s/$addr/ADDR/")" ]

	# --network none: the hostname given, 127.0.1.1 for it, an empty resolv.conf, as a container's.
	run c run --rm --vm --network none --hostname capsa-test-h bbl sh -c \
		'hostname; cat /etc/hostname; grep capsa-test-h /etc/hosts; wc -c </etc/resolv.conf'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'capsa-test-h\ncapsa-test-h\n127.0.1.1\tcapsa-test-h\n0')" ]
}
