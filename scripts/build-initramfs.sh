#!/usr/bin/env bash
# Build the VM's base initramfs (build/initramfs/base.cpio): static busybox,
# vm/init, the fuse kselftests built against the tree's installed headers and
# installed the kselftest way (/kselftest/run_kselftest.sh).
# fio with its libraries goes into a separate layer (build/initramfs/fio.cpio).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
tree=$top/build/linux
hdrs=$top/build/obj/normal/usr/include
out=$top/build/initramfs
ksft=$top/build/kselftest
start=$SECONDS

[ -d "$hdrs/linux" ] || { echo "build-initramfs: no headers in $hdrs; run 'make kernel'" >&2; exit 1; }
mkdir -p "$out"

echo "build-initramfs: building and installing the fuse kselftests"
rm -rf "$ksft"
make -s -C "$tree/tools/testing/selftests" TARGETS=fuse O="$top/build/obj/normal" \
	KSFT_INSTALL_PATH="$ksft" -j"$(nproc)" install >"$out/selftests.log" 2>&1 ||
	{ cat "$out/selftests.log" >&2; echo "build-initramfs: selftests build failed" >&2; exit 1; }
if grep -q 'warning:' "$out/selftests.log"; then
	grep -B2 -A2 'warning:' "$out/selftests.log" >&2
	echo "build-initramfs: the selftests build has warnings (log: $out/selftests.log)" >&2
	exit 1
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,proc,sys,dev,tmp,etc}
cp /bin/busybox "$root/bin/busybox"
install -m 0755 vm/timeout "$root/usr/bin/timeout"
install -m 0755 vm/init "$root/init"
ln -s /proc/self/mounts "$root/etc/mtab"
cp -a "$ksft" "$root/kselftest"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$out/base.cpio.tmp"
mv "$out/base.cpio.tmp" "$out/base.cpio"

# fio and its shared libraries, only rebuilt when missing.
if [ ! -s "$out/fio.cpio" ]; then
	froot=$(mktemp -d)
	mkdir -p "$froot/usr/bin"
	cp -L /usr/bin/fio "$froot/usr/bin/fio"
	for lib in $(ldd /usr/bin/fio | awk '/=>/ {print $3} /^\t\/lib/ {print $1}'); do
		mkdir -p "$froot$(dirname "$lib")"
		cp -L "$lib" "$froot$lib"
	done
	(cd "$froot" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$out/fio.cpio"
	rm -rf "$froot"
fi
echo "build-initramfs: base $(du -h "$out/base.cpio" | cut -f1), fio $(du -h "$out/fio.cpio" | cut -f1) in $((SECONDS - start))s"
