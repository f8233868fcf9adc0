#!/usr/bin/env bash
# Build build/obj/<flavor>/vmlinux from build/linux with ccache.
# usage: build-kernel.sh [normal|debug] [extra fragment...]
# normal = tinyconfig + config/vm.config; debug adds config/debug.config.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
flavor=${1:-normal}
shift || true
tree=$top/build/linux
obj=$top/build/obj/$flavor
frags=("$top/config/vm.config")
[ "$flavor" = debug ] && frags+=("$top/config/debug.config")
frags+=("$@")
start=$SECONDS

[ -d "$tree/.git" ] || { echo "build-kernel: no tree at $tree; run 'make tree'" >&2; exit 1; }
export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1 CCACHE_SLOPPINESS=time_macros
export KBUILD_BUILD_TIMESTAMP="2000-01-01" KBUILD_BUILD_USER=fuse KBUILD_BUILD_HOST=vm
mk=(make -s -C "$tree" O="$obj" CC="ccache gcc" -j"$(nproc)")
mkdir -p "$obj"

# Regenerate .config only when a fragment changed.
stamp=$obj/.fragments
want=$(cat "${frags[@]}" | sha1sum)
if [ ! -f "$obj/.config" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	echo "build-kernel: configuring $flavor (tinyconfig + ${frags[*]##*/})"
	"${mk[@]}" tinyconfig >/dev/null
	(cd "$obj" && "$tree/scripts/kconfig/merge_config.sh" -m .config "${frags[@]}" >"$obj/merge.log")
	"${mk[@]}" olddefconfig >/dev/null
	# Every option a fragment sets must have survived dependency resolution.
	bad=0
	while IFS= read -r line; do
		case "$line" in CONFIG_*=n) opt=${line%%=*}; grep -q "^$opt=" "$obj/.config" && bad=1 && echo "build-kernel: $opt still set" >&2 ;;
		CONFIG_*) grep -qx "$line" "$obj/.config" || { bad=1; echo "build-kernel: $line not in .config (missing dependency?)" >&2; } ;;
		esac
	done < <(cat "${frags[@]}" | grep -v '^#')
	[ "$bad" -eq 0 ] || { echo "build-kernel: fix the fragments in config/" >&2; exit 1; }
	echo "$want" >"$stamp"
fi

# A KASAN kernel triple-faults when entered through PVH: the debug flavor
# boots its bzImage instead (see vm-run.sh).
targets=(vmlinux headers_install)
[ "$flavor" = debug ] && targets+=(bzImage)
echo "build-kernel: building $flavor ${targets[*]} in ${obj#"$top"/} ..."
"${mk[@]}" "${targets[@]}" >"$obj/build.log" 2>&1 || {
	grep -E 'error|Error' "$obj/build.log" | head -30 >&2
	echo "build-kernel: build failed; full log: $obj/build.log" >&2
	exit 1
}
echo "build-kernel: $flavor built in $((SECONDS - start))s"
