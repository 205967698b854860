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
