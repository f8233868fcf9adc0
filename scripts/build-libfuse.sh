#!/usr/bin/env bash
# Build libfuse (Debian's fuse3 source) with the libfuse/*.patch series, which
# makes -o io_uring use this kernel's ring transport. Examples, utilities and
# tests are linked statically (they also run in the busybox VM).
# usage: scripts/build-libfuse.sh
# Environment: LIBFUSE_DEB_VERSION=3.18.3-1  the fuse3 source package version
#              LIBFUSE_SUITE=sid             where to fetch it from
#              LIBFUSE_JOBS=2                ninja -j
# Output: build/libfuse/src (patched source, with test/run-tests.py) and
#   build/libfuse/build (meson build dir: example/ test/ util/ lib/).
# Nothing is rebuilt when the patches, this script and the version are
# unchanged (stamp: build/libfuse/stamp).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
dir=$top/build/libfuse
src=$dir/src
bld=$dir/build
ver=${LIBFUSE_DEB_VERSION:-3.18.3-1}
suite=${LIBFUSE_SUITE:-sid}
jobs=${LIBFUSE_JOBS:-2}
PAPT_DIR=$dir/apt
# shellcheck source=scripts/private-apt.sh
. scripts/private-apt.sh
DEPS=(meson ninja-build pkg-config gcc g++ dpkg-dev liburing-dev libnuma-dev python3)

progress() {
	printf 'build-libfuse: [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"
}

die() {
	echo "build-libfuse: ERROR: $*" >&2
	exit 1
}

install_deps() {
	local p missing=()
	for p in "${DEPS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing build dependencies: ${missing[*]}; run as root: apt-get install ${missing[*]}"
	progress "installing build dependencies: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
		>"$dir/deps.log" 2>&1 || die "cannot install ${missing[*]} (see $dir/deps.log)"
}

# Download fuse3_$ver.dsc and its tarballs into $dir, unless already there.
fetch_source() {
	dsc=$dir/fuse3_$ver.dsc
	[ -f "$dsc" ] && return 0
	progress "downloading Debian's fuse3 $ver source package ($suite)"
	papt_setup "http://deb.debian.org/debian $suite" ||
		die "cannot read the $suite package indexes (see $PAPT_DIR/update.log); check the network"
	(cd "$dir" && papt_get source --download-only "fuse3=$ver" >"$dir/dl.log" 2>&1) ||
		die "cannot download fuse3 $ver (see $dir/dl.log); $suite has: $(papt_cache policy fuse3 2>/dev/null |
			awk '/Candidate/ { print $2 }'); set LIBFUSE_DEB_VERSION or LIBFUSE_SUITE"
	[ -f "$dsc" ] || die "$dsc missing after the download (see $dir/dl.log)"
}

# Extract the source as dpkg-source does (Debian's patches applied), then ours.
prepare_source() {
	local p
	progress "extracting fuse3 $ver into $src"
	rm -rf "$src" "$bld"
	dpkg-source --no-check -x "$dsc" "$src" >"$dir/extract.log" 2>&1 ||
		die "dpkg-source -x $dsc failed (see $dir/extract.log)"
	for p in "${patches[@]}"; do
		progress "applying $(basename "$p")"
		patch -d "$src" -p1 --forward --batch --quiet <"$p" >"$dir/patch.log" 2>&1 ||
			die "$(basename "$p") does not apply to fuse3 $ver (see $dir/patch.log)"
	done
}

configure() {
	progress "configuring (static, io_uring) in $bld"
	meson setup "$bld" "$src" -Dbuildtype=debugoptimized -Ddefault_library=static \
		-Dprefer_static=true -Dc_link_args=-static -Dcpp_link_args=-static \
		-Denable-io-uring=true -Dexamples=true -Dutils=true -Dtests=true \
		>"$dir/meson.log" 2>&1 || die "meson setup failed (see $dir/meson.log)"
	grep -qs '#define HAVE_URING' "$bld/fuse_config.h" ||
		die "libfuse was configured without io_uring: liburing (with SQE128) and libnuma are needed (see $dir/meson.log)"
}

mkdir -p "$dir"
shopt -s nullglob
patches=("$top"/libfuse/*.patch)
shopt -u nullglob
[ "${#patches[@]}" -gt 0 ] || die "no patches in $top/libfuse"
stamp=$(cat "${patches[@]}" "$0" | sha256sum | cut -d' ' -f1)-$ver

install_deps
if [ "$(cat "$dir/stamp" 2>/dev/null)" != "$stamp" ] || [ ! -f "$bld/build.ninja" ]; then
	rm -f "$dir/stamp"
	fetch_source
	prepare_source
	configure
fi
progress "building with ninja -j$jobs"
ninja -C "$bld" -j "$jobs" >"$dir/ninja.log" 2>&1 || die "the build failed (see $dir/ninja.log)"
echo "$stamp" >"$dir/stamp"
progress "done: libfuse $ver + ${#patches[@]} patches"
echo "build-libfuse: source: $src (tests: $src/test/run-tests.py --build-dir $bld)"
echo "build-libfuse: build:  $bld (example/ test/ util/, statically linked)"
