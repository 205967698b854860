#!/usr/bin/env bats
# Micro-VM networking: taps on a capsa bridge (netns/tap.c) and the VMM's virtio-net device driven by the
# guest program vm/guest/net.c through tests/helpers/vmnet, which plays the wire on the tap's host side.

load helpers

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
	! ip link show "$1" >/dev/null 2>&1
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
	! pgrep -f "uml_dir=$TEST_TMP/uml" >/dev/null
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
	# A subnet of its own, from the temp dir's name, so tests running at once rarely collide.
	X=$(($(echo "$TEST_TMP" | cksum | cut -d' ' -f1) % 250 + 2))
	PREFIX3="10.232.$X."
	c network create --subnet "${PREFIX3}0/24" "$NET" >/dev/null
}

# Nothing of VM $1 (full id) is left: no tap, no address in the network's IPAM, no network record.
assert_vm_net_gone() {
	local id=$1
	! ip link show "capsa-t${id:0:8}" 2>/dev/null
	! grep -q "$id" "$STORE/networks/$NET/ipam" 2>/dev/null
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
		pid=$(pgrep -o -f "uml_dir=$STORE/run/vm-${vm:0:12}") && break
		sleep 0.1
	done
	[ -n "$pid" ]
	ip link show "capsa-t${vm:0:8}" >/dev/null
	kill -9 "$pid"
	c rm -f "$vm" >/dev/null
	assert_vm_net_gone "$vm"
}

@test "vm-net: run --vm refuses --network host, -p and an unknown network, with the reason, leaving nothing" {
	need_uml
	run c run --vm --network host bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--network host: a micro-VM has its own kernel"* ]]
	run c run --vm --network "$NET" -p 8080:80 bb true
	[ "$status" -eq 125 ]
	[[ "$output" == *"-p/-P: a micro-VM cannot publish ports"* ]]
	run c run --vm --network "${NET}-nosuch" bb true
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"${NET}-nosuch"* ]]
	[ -z "$(c ps -aq)" ]
	[ -z "$(cat "$STORE/networks/$NET/ipam" 2>/dev/null)" ]
}
