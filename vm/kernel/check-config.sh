#!/bin/sh
# check-config.sh KCONFIG FRAGMENT: every option the fragment sets must be set the same way in the
# final .config (Kconfig silently drops options whose dependencies are missing).
set -eu
cfg=${1:?usage: check-config.sh .config fragment}
frag=${2:?usage: check-config.sh .config fragment}
missing=""
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		opt=${line%%=*}
		grep -qx "$line" "$cfg" || missing="$missing $opt(want ${line#*=}, got $(grep "^$opt=" "$cfg" | cut -d= -f2 || true))"
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		if grep -q "^$opt=" "$cfg"; then
			missing="$missing $opt(want unset)"
		fi
		;;
	esac
done <"$frag"
if [ -n "$missing" ]; then
	echo "vm-kernel: $cfg: options not as vm/kernel/capsa.config asks:$missing" >&2
	exit 1
fi
echo "vm-kernel: all $(grep -c '^CONFIG_\|^# CONFIG_' "$frag") options of capsa.config are as asked"
