#!/usr/bin/env bash
# Distro builds: the series applied to the newest 6.12.y Debian ships (the
# highest linux-source-6.12 of DISTRO_SUITES), and fs/fuse built as a module
# under Debian's own kernel configuration (linux-config-6.12 of the same
# version) on that tree and on build/linux, with FUSE_IO_URING on and off,
# at W=1: a warning in fs/fuse fails the check.
# usage: distro-check.sh   (make distro; part of make check)
# Packages are downloaded with a private apt configuration into build/distro/.
# Only what a build machine cannot sign or needs no debug info for is changed
# in Debian's configuration: no trusted/revocation key files, no debug info.
# Results: build/distro/report.txt (also printed).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
top=$PWD
dir=$top/build/distro
PAPT_DIR=$dir/apt
# shellcheck source=scripts/private-apt.sh
. scripts/private-apt.sh
mirror=http://deb.debian.org
suites=${DISTRO_SUITES:-"debian trixie|debian trixie-updates|debian-security trixie-security|debian-security bookworm-security|debian bookworm-backports"}
start=$SECONDS

progress() {
	printf 'distro-check: [%d:%02d] %s\n' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)) "$*"
}
die() {
	echo "distro-check: ERROR: $*" >&2
	exit 1
}

mkdir -p "$dir"
IFS='|' read -r -a list <<<"$suites"
uris=()
for s in "${list[@]}"; do
	uris+=("$mirror/$s")
done
progress "reading package indexes: ${suites//|/, }"
papt_setup "${uris[@]}" || die "cannot read the package indexes (see $PAPT_DIR/update.log)"

basever=$(dpkg-query -W -f='${Version}' linux-source-6.12)
newver=$(papt_cache policy linux-source-6.12 | awk '/Candidate:/ { print $2 }')
case $newver in "" | "(none)") die "no linux-source-6.12 in ${suites//|/, }" ;; esac
progress "base linux-source-6.12 $basever; newest in the suites: $newver"

# fetch PKG VERSION: the .deb into build/distro/debs (kept between runs).
fetch() {
	local deb
	mkdir -p "$dir/debs"
	deb=$(find "$dir/debs" -name "${1}_${2//:/%3a}_*.deb" | head -n 1)
	if [ -z "$deb" ]; then
		progress "downloading $1 $2" >&2
		(cd "$dir/debs" && papt_get download "$1=$2" >"$dir/debs/download.log" 2>&1) ||
			die "cannot download $1 $2 (see $dir/debs/download.log)"
		deb=$(find "$dir/debs" -name "${1}_${2//:/%3a}_*.deb" | head -n 1)
	fi
	echo "$deb"
}

# debian_config VERSION: Debian's amd64 configuration of that version.
debian_config() {
	local out=$dir/config-$1
	if [ ! -s "$out" ]; then
		dpkg-deb --fsys-tarfile "$(fetch linux-config-6.12 "$1")" |
			tar -xO --wildcards '*/config.amd64_none_amd64.xz' | xz -d >"$out.tmp"
		mv "$out.tmp" "$out"
	fi
	echo "$out"
}

# debian_symvers VERSION: Module.symvers of Debian's amd64 kernel of that
# version (from its linux-headers package): the symbols the module may use.
debian_symvers() {
	local out=$dir/Module.symvers-$1 pkg
	if [ ! -s "$out" ]; then
		pkg=$(for p in $(papt_cache search --names-only "^linux-headers-${1%%-*}\+deb[0-9]+-amd64\$" |
			awk '{ print $1 }'); do papt_cache madison "$p"; done |
			awk -v v="$1" '$3 == v && $1 ~ /^linux-headers/ { print $1; exit }')
		[ -n "$pkg" ] || die "no linux-headers-*-amd64 package of version $1"
		dpkg-deb --fsys-tarfile "$(fetch "$pkg" "$1")" |
			tar -xO --wildcards '*/Module.symvers' >"$out.tmp"
		mv "$out.tmp" "$out"
	fi
	echo "$out"
}

# newest_tree: linux-source-6.12 $newver as a git tree with the series on top.
newtree=$dir/linux-$newver
if [ "$(git -C "$newtree" config fuse.serieshash 2>/dev/null || true)" != \
	"$(cat series/*.patch | sha1sum | cut -d' ' -f1)" ]; then
	progress "extracting linux-source-6.12 $newver into ${newtree#"$top"/}"
	rm -rf "$newtree"
	mkdir -p "$newtree"
	dpkg-deb --fsys-tarfile "$(fetch linux-source-6.12 "$newver")" |
		tar -xO ./usr/src/linux-source-6.12.tar.xz | tar -xJ -C "$newtree" --strip-components=1
	g=(git -C "$newtree" -c user.name=distro-check -c user.email=distro-check@localhost)
	"${g[@]}" init -q -b fuse-uring
	"${g[@]}" add -A -f .
	"${g[@]}" commit -q -m "Linux $newver (Debian linux-source-6.12)"
	"${g[@]}" tag base
	progress "applying series/ with git am"
	for p in series/[0-9][0-9][0-9][0-9]-*.patch; do
		[ "${p##*/0000-}" = "$p" ] || continue
		"${g[@]}" am -q "$top/$p" >"$dir/am.log" 2>&1 || {
			cat "$dir/am.log" >&2
			die "$(basename "$p") does not apply on linux-source-6.12 $newver"
		}
	done
	"${g[@]}" config fuse.serieshash "$(cat series/*.patch | sha1sum | cut -d' ' -f1)"
fi
patches=$(git -C "$newtree" rev-list --count base..HEAD)

# build VERSION TREE ON|OFF: fs/fuse of TREE built the way an out-of-tree
# (DKMS) build meets it: as an external module against Debian's
# configuration (FUSE_FS=m: Debian builds it in) and Module.symvers of
# VERSION, so modpost checks every symbol the modules use against what
# Debian's kernel exports.
export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1 CCACHE_SLOPPINESS=time_macros
rows=()
fails=0
build() {
	local ver=$1 tree=$2 opt=$3 obj=$top/build/obj/distro-$1 s=$SECONDS
	local mk=(make -s -C "$tree" O="$obj" CC="ccache gcc" -j"$(nproc)") log result=ok warn flag=-d config symvers
	[ "$opt" = off ] || flag=-e
	mkdir -p "$obj"
	log=$obj/build-$opt.log
	config=$(debian_config "$ver")
	symvers=$(debian_symvers "$ver")
	cp "$config" "$obj/.config"
	"$tree/scripts/config" --file "$obj/.config" --set-str SYSTEM_TRUSTED_KEYS "" \
		--set-str SYSTEM_REVOCATION_KEYS "" -d DEBUG_INFO_DWARF5 \
		-d DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT -d DEBUG_INFO_BTF -e DEBUG_INFO_NONE \
		-m FUSE_FS "$flag" FUSE_IO_URING
	"${mk[@]}" olddefconfig >/dev/null
	grep -qx 'CONFIG_FUSE_FS=m' "$obj/.config" || die "$ver: FUSE_FS is not a module"
	if [ "$opt" = on ]; then
		grep -qx 'CONFIG_FUSE_IO_URING=y' "$obj/.config" || die "$ver: FUSE_IO_URING did not stay on"
	else
		! grep -q '^CONFIG_FUSE_IO_URING=y' "$obj/.config" || die "$ver: FUSE_IO_URING did not go off"
	fi
	# Debian builds FUSE into vmlinux: its exports there are the module's own.
	grep -vwFf <(grep -hoE 'EXPORT_SYMBOL(_GPL)?\([a-z_0-9]+\)' "$tree"/fs/fuse/*.c |
		sed -E 's/.*\((.*)\)/\1/') "$symvers" >"$obj/Module.symvers"
	progress "building fs/fuse modules of $ver, Debian config, FUSE_IO_URING=$opt, W=1"
	rm -rf "$obj/fuse"
	cp -r "$tree/fs/fuse" "$obj/fuse"
	{ "${mk[@]}" modules_prepare && "${mk[@]}" W=1 M="$obj/fuse" modules; } >"$log" 2>&1 ||
		result=FAILED
	warn=$(grep -cE 'fuse/[a-z_]+\.[ch]:[0-9]+:[0-9]+: warning:|(WARNING|ERROR): modpost' "$log" || true)
	[ "$warn" -eq 0 ] || result=FAILED
	[ -f "$obj/fuse/fuse.ko" ] || result=FAILED
	if [ "$result" != ok ]; then
		grep -E 'error|warning|ERROR|WARNING' "$log" | head -20 >&2
		fails=$((fails + 1))
	fi
	rows+=("$(printf '%-22s %-4s %-7s %5s  %4ss' "$ver" "$opt" "$result" "$warn" $((SECONDS - s)))")
}

build "$basever" "$top/build/linux" on
build "$newver" "$newtree" on
build "$newver" "$newtree" off

{
	echo "series on linux-source-6.12 $newver: git am clean ($patches patches)"
	echo "fs/fuse as modules (fuse.ko, cuse.ko, virtiofs.ko) under Debian's amd64 config and Module.symvers:"
	printf '%-22s %-4s %-7s %5s  %5s\n' "linux-source-6.12" "ring" "build" "W=1" "time"
	printf '%s\n' "${rows[@]}"
} | tee "$dir/report.txt"
progress "done; report in ${dir#"$top"/}/report.txt"
[ "$fails" -eq 0 ]
