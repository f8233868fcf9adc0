#!/usr/bin/env bash
# The anchor: the merged upstream FUSE-over-io_uring design, measured with the
# benchmark's workloads in the same VM: a Debian kernel >= 6.14 built with
# CONFIG_FUSE_IO_URING (trixie-backports or sid) and libfuse >= 3.18's
# passthrough_hp built from Debian's fuse3 source package. Nothing of it is
# committed or installed system-wide: packages are fetched with a private apt
# configuration into build/anchor/ (the build dependencies meson and
# libnuma-dev are installed from the system's own Debian release).
# usage: scripts/bench-anchor.sh      (make bench-anchor)
# Environment: the BENCH_* variables of scripts/bench.sh (BENCH_QUICK=1 ...);
#   BENCH_CONFIGS defaults to "native dev4 hp4 hpring": hpN = passthrough_hp
#   over /dev/fuse with N threads, hpring = passthrough_hp -o io_uring;
#   dev4 = this project's daemon over /dev/fuse on the upstream kernel.
#   ANCHOR_SUITES="trixie-backports sid"  where to look for the packages
#   ANCHOR_KFLAVOR=cloud-amd64            the Debian kernel flavour
# Results: build/bench/anchor-<timestamp>/, build/bench/anchor-latest.
# When a package is not to be had it prints "bench-anchor: SKIP: why", exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
dir=$top/build/anchor
PAPT_DIR=$dir/apt
# shellcheck source=scripts/private-apt.sh
. scripts/private-apt.sh
suites=${ANCHOR_SUITES:-trixie-backports sid}
kflavor=${ANCHOR_KFLAVOR:-cloud-amd64}
MIN_KERNEL=6.14
MIN_LIBFUSE=3.18
BUILD_DEPS=(meson ninja-build g++ pkg-config liburing-dev libnuma-dev)

progress() {
	printf 'bench-anchor: [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"
}

skip() {
	echo "bench-anchor: SKIP: $*"
	exit 0
}

die() {
	echo "bench-anchor: ERROR: $*" >&2
	exit 1
}

setup_apt() {
	local s uris=()
	for s in $suites; do
		uris+=("http://deb.debian.org/debian $s")
	done
	progress "reading Debian's package indexes for: $suites"
	papt_setup "${uris[@]}" ||
		skip "cannot read the package indexes of $suites (see $PAPT_DIR/update.log)"
}

version_ge() {
	dpkg --compare-versions "$1" ge "$2"
}

# Download the kernel and check it has what the anchor needs.
fetch_kernel() {
	local image kver pkgs p vmlinuz config
	image=$(papt_cache depends "linux-image-$kflavor" 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$image" ] || skip "no linux-image-$kflavor in $suites"
	kver=${image#linux-image-}
	kver=${kver%%[+-]*}
	version_ge "$kver" "$MIN_KERNEL" || skip "$image is older than $MIN_KERNEL"
	# Newer Debian kernels split the image into -binary, -modules, -base
	pkgs=("$image")
	while read -r p; do
		pkgs+=("$p")
	done < <(papt_cache depends "$image" | awk '/Depends: linux-(binary|modules|base)-[0-9]/ { print $2 }')
	progress "kernel: downloading ${pkgs[*]}"
	rm -rf "$dir/debs" "$dir/kernel"
	mkdir -p "$dir/debs" "$dir/kernel"
	(cd "$dir/debs" && papt_get download "${pkgs[@]}" >"$dir/debs/download.log" 2>&1) ||
		skip "cannot download ${pkgs[*]} (see $dir/debs/download.log)"
	for p in "$dir"/debs/*.deb; do
		dpkg-deb -x "$p" "$dir/kernel"
	done
	vmlinuz=$(find "$dir/kernel" -name 'vmlinuz*' -type f | head -n 1)
	config=$(find "$dir/kernel" \( -name 'config-*' -o -path '*/modules/*/config' \) -type f | head -n 1)
	if [ -z "$vmlinuz" ] || [ -z "$config" ]; then
		skip "no vmlinuz or config in ${pkgs[*]}"
	fi
	grep -qx 'CONFIG_FUSE_IO_URING=y' "$config" || skip "$image lacks CONFIG_FUSE_IO_URING"
	grep -qx 'CONFIG_FUSE_FS=y' "$config" ||
		skip "$image has FUSE as a module; the VM's initramfs loads no modules (try ANCHOR_KFLAVOR)"
	mkdir -p "$top/build/obj/anchor"
	cp "$vmlinuz" "$top/build/obj/anchor/vmlinux"
	anchor_kernel=$image
}

install_build_deps() {
	local missing=() p
	for p in "${BUILD_DEPS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ "${#missing[@]}" -eq 0 ] && return
	[ "$(id -u)" -eq 0 ] || skip "missing build dependencies: ${missing[*]} (install them as root)"
	progress "installing build dependencies: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
		>"$dir/build-deps.log" 2>&1 || skip "cannot install ${missing[*]} (see $dir/build-deps.log)"
}

# Build passthrough_hp (libfuse linked in statically) and stage it with its
# shared libraries in build/anchor/root, which the VM sees as /anchor.
build_passthrough_hp() {
	local dsc ver src bld lib
	rm -rf "$dir/src"
	mkdir -p "$dir/src"
	progress "libfuse: downloading Debian's fuse3 source package"
	(cd "$dir/src" && papt_get source --download-only fuse3 >"$dir/src/download.log" 2>&1) ||
		skip "cannot download the fuse3 source package (see $dir/src/download.log)"
	dsc=$(find "$dir/src" -name 'fuse3_*.dsc' | head -n 1)
	ver=$(awk '/^Version:/ { print $2; exit }' "$dsc")
	version_ge "$ver" "$MIN_LIBFUSE" || skip "fuse3 $ver is older than $MIN_LIBFUSE"
	tar -xzf "$dir"/src/fuse3_*.orig.tar.gz -C "$dir/src"
	src=$(find "$dir/src" -mindepth 1 -maxdepth 1 -type d -name 'fuse-*' | head -n 1)
	bld=$dir/src/build
	progress "libfuse $ver: building passthrough_hp"
	meson setup "$bld" "$src" -Ddefault_library=static -Dbuildtype=release -Dexamples=true \
		-Dutils=false -Dtests=false -Denable-io-uring=true >"$dir/src/meson.log" 2>&1 ||
		die "meson setup failed: $dir/src/meson.log"
	grep -rqs 'HAVE_URING' "$bld"/*.h ||
		skip "libfuse $ver was configured without io_uring (liburing with SQE128 and libnuma needed)"
	ninja -C "$bld" example/passthrough_hp >"$dir/src/ninja.log" 2>&1 ||
		die "building passthrough_hp failed: $dir/src/ninja.log"
	rm -rf "$dir/root"
	mkdir -p "$dir/root/lib"
	cp "$bld/example/passthrough_hp" "$dir/root/"
	for lib in $(ldd "$bld/example/passthrough_hp" | awk '/=>/ { print $3 }'); do
		cp -L "$lib" "$dir/root/lib/"
	done
	anchor_libfuse=$ver
}

main() {
	[ "$#" -eq 0 ] || { sed -n '2,19p' "$0" >&2; exit 2; }
	mkdir -p "$dir"
	command -v dpkg-deb >/dev/null || skip "no dpkg-deb: not a Debian system"
	setup_apt
	fetch_kernel
	install_build_deps
	build_passthrough_hp
	progress "anchor: $anchor_kernel, libfuse $anchor_libfuse passthrough_hp"
	BENCH_FLAVOR=anchor BENCH_TAG=anchor BENCH_COPY="$dir/root:/anchor" \
		BENCH_CONFIGS=${BENCH_CONFIGS:-native dev4 hp4 hpring} scripts/bench.sh
}

main "$@"
