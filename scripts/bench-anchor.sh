#!/usr/bin/env bash
# The anchor: the merged upstream FUSE-over-io_uring design against this
# series, apples to apples. The same libfuse (Debian's fuse3 source with
# libfuse/*.patch, scripts/build-libfuse.sh) and its passthrough_hp run the
# benchmark's workloads in the same VM twice: on this series' kernel
# (build/obj/normal), where -o io_uring uses this series' ring, and on a
# Debian kernel >= 6.14 built with CONFIG_FUSE_IO_URING (trixie-backports or
# sid), where it uses upstream's. The kernel is fetched with a private apt
# configuration into build/anchor/; nothing is installed system-wide.
# usage: scripts/bench-anchor.sh      (make bench-anchor)
# Environment: the BENCH_* variables of scripts/bench.sh (BENCH_QUICK=1 ...);
#   BENCH_CONFIGS defaults to "native dev4 hp4 hpring": hpN = passthrough_hp
#   over /dev/fuse with N threads, hpring = passthrough_hp -o io_uring;
#   dev4 = this project's daemon over /dev/fuse.
#   ANCHOR_SUITES="trixie-backports sid"  where to look for the packages
#   ANCHOR_KFLAVOR=cloud-amd64            the Debian kernel flavour
# Results: build/bench/hp-latest (ours), build/bench/anchor-latest (upstream's)
# and build/bench/anchor-latest/compare.txt: hpring/hp4 on each and ours
# against theirs, row by row.
# When the kernel is not to be had it prints "bench-anchor: SKIP: why", exits 0.
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

# The libfuse of both sides: Debian's fuse3 with libfuse/*.patch, built by
# scripts/build-libfuse.sh; its -o io_uring speaks upstream's protocol on
# the anchor's kernel and this series' ring on ours.
check_libfuse() {
	local ver
	scripts/build-libfuse.sh >"$dir/build-libfuse.log" 2>&1 ||
		die "scripts/build-libfuse.sh failed (see $dir/build-libfuse.log)"
	ver=$(sed -n 's/.*done: libfuse \([^ ]*\) .*/\1/p' "$dir/build-libfuse.log" | tail -n 1)
	version_ge "${ver:-0}" "$MIN_LIBFUSE" || die "libfuse ${ver:-?} is older than $MIN_LIBFUSE"
	anchor_libfuse=$ver
}

main() {
	[ "$#" -eq 0 ] || { sed -n '2,21p' "$0" >&2; exit 2; }
	local configs=${BENCH_CONFIGS:-native dev4 hp4 hpring} ours theirs
	mkdir -p "$dir"
	command -v dpkg-deb >/dev/null || skip "no dpkg-deb: not a Debian system"
	setup_apt
	fetch_kernel
	check_libfuse
	progress "ours: this series (build/obj/normal), libfuse $anchor_libfuse passthrough_hp"
	BENCH_FLAVOR=normal BENCH_TAG=hp BENCH_CONFIGS=$configs scripts/bench.sh
	progress "anchor: $anchor_kernel, the same libfuse $anchor_libfuse passthrough_hp"
	BENCH_FLAVOR=anchor BENCH_TAG=anchor BENCH_CONFIGS=$configs scripts/bench.sh
	ours=build/bench/hp-latest theirs=build/bench/anchor-latest
	"${PYTHON:-python3}" scripts/bench-cover.py "$ours/results.json" "$theirs/results.json" \
		>"$theirs/compare.txt" || die "cannot compare $ours with $theirs"
	progress "the same passthrough_hp over this series' ring (ours) and upstream's (anchor):"
	cat "$theirs/compare.txt"
	progress "done: $theirs/compare.txt ($ours, $theirs: the full reports)"
}

main "$@"
