#!/usr/bin/env bash
# Boot the built kernel in QEMU and run a command in it; exit with its status.
# usage: vm-run.sh [-k normal|debug] [-c SRC[:DST]]... [-f] [-s CPUS] [-m MEM]
#                  [-t TIMEOUT] [-o OUTDIR] [-q] [-r] [-i] -- COMMAND...
#   -k  kernel flavor (build/obj/<flavor>/vmlinux), default normal
#   -c  copy SRC (file or dir) into the VM at DST (default /work/<name>)
#   -f  include fio and its libraries
#   -s  vCPUs (2 NUMA nodes when >= 2), default 4;  -m  memory, default 2G
#   -t  watchdog seconds, default 600;  -o  results dir, default build/runs/last
#   -q  do not stream the console
#   -r  run COMMAND (with bash) in the host's root file system, shared
#       read-only over virtio-9p under a tmpfs overlay (python3, pytest ...)
#   -i  count instructions: one host thread runs every vCPU and the guest's
#       clock advances 1 ns per instruction (none while all vCPUs idle), so
#       guest timings measure work, not host speed (the benchmark's
#       deterministic mode)
# The command runs as root in /, with the fuse kselftests installed in /kselftest.
# Results: OUTDIR/console.log, OUTDIR/results/{output,rc,dmesg,kmemleak,...};
# anything the command writes into /results comes back too.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
flavor=normal cpus=4 mem=2G timeout=600 out=$top/build/runs/last fio=0 quiet=0 hostroot=0
accel=(-accel "tcg,thread=multi")
copies=()
while getopts k:c:fs:m:t:o:qri opt; do
	case $opt in
	k) flavor=$OPTARG ;; c) copies+=("$OPTARG") ;; f) fio=1 ;;
	s) cpus=$OPTARG ;; m) mem=$OPTARG ;; t) timeout=$OPTARG ;;
	o) out=$OPTARG ;; q) quiet=1 ;; r) hostroot=1 ;;
	i) accel=(-accel "tcg,thread=single" -icount "shift=0,sleep=off") ;;
	*) sed -n '2,19p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ "$#" -gt 0 ] || { sed -n '2,19p' "$0" >&2; exit 2; }
# The uncompressed vmlinux boots fastest (PVH); a KASAN kernel cannot
# enter through PVH, so the debug flavor boots its bzImage.
vmlinux=$top/build/obj/$flavor/vmlinux
[ "$flavor" = debug ] && vmlinux=$top/build/obj/$flavor/arch/x86/boot/bzImage
base=$top/build/initramfs/base.cpio
[ -f "$vmlinux" ] || { echo "vm-run: $vmlinux missing; run 'make kernel' (or kernel-debug)" >&2; exit 2; }
[ -f "$base" ] || { echo "vm-run: $base missing; run 'make initramfs'" >&2; exit 2; }

rm -rf "$out"
mkdir -p "$out/results"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/work"
for c in "${copies[@]}"; do
	src=${c%%:*}
	dst=/work/$(basename "$src")
	[ "$src" != "$c" ] && dst=${c#*:}
	mkdir -p "$stage$(dirname "$dst")"
	cp -a "$src" "$stage$dst"
done
printf '%q ' "$@" >"$stage/run.sh"
echo >>"$stage/run.sh"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$out/run.cpio"
layers=("$base")
[ "$fio" -eq 1 ] && layers+=("$top/build/initramfs/fio.cpio")
cat "${layers[@]}" "$out/run.cpio" >"$out/initrd.cpio"
rm "$out/run.cpio"

numa=()
smp=$cpus
if [ "$cpus" -ge 2 ]; then
	# One socket (and last-level cache) per NUMA node.
	smp="$cpus,sockets=2,cores=$((cpus / 2)),threads=1"
	memmb=$(numfmt --from=iec "$mem")
	half=$((memmb / 2 / 1048576))
	numa=(-object "memory-backend-ram,id=m0,size=${half}M"
		-object "memory-backend-ram,id=m1,size=${half}M"
		-numa "node,nodeid=0,cpus=0-$((cpus / 2 - 1)),memdev=m0"
		-numa "node,nodeid=1,cpus=$((cpus / 2))-$((cpus - 1)),memdev=m1")
	mem=$((half * 2))M
fi
append="console=ttyS0 loglevel=5 panic=-1 oops=panic rdinit=/init"
[ "$flavor" = debug ] && append+=" kmemleak=on"
share=()
if [ "$hostroot" -eq 1 ]; then
	append+=" vm.hostroot"
	share=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap")
fi

echo "vm-run: booting $flavor kernel ($cpus cpus, $mem), watchdog ${timeout}s: $*"
start=$SECONDS
rc=0
sink=/dev/stdout
[ "$quiet" -eq 1 ] && sink=/dev/null
timeout -k 5 "$timeout" qemu-system-x86_64 "${accel[@]}" -cpu max \
	-smp "$smp" -m "$mem" "${numa[@]}" -no-reboot -display none -monitor none \
	-kernel "$vmlinux" -initrd "$out/initrd.cpio" -append "$append" "${share[@]}" \
	-chardev "stdio,id=con,signal=off,logfile=$out/console.log" -serial chardev:con \
	-serial "file:$out/results.serial" </dev/null >"$sink" || rc=$?
rm -f "$out/initrd.cpio"
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "vm-run: WATCHDOG: no poweroff after ${timeout}s; last console lines:" >&2
	tail -n 40 "$out/console.log" >&2
	exit 124
fi
sed -n '/==RESULTS-BEGIN==/,/==RESULTS-END==/p' "$out/results.serial" | sed '1d;$d' |
	base64 -d 2>/dev/null | tar -x -C "$out/results" 2>/dev/null || true
if [ ! -f "$out/results/rc" ]; then
	echo "vm-run: the VM returned no results (crash or panic?); last console lines:" >&2
	tail -n 40 "$out/console.log" >&2
	exit 125
fi
rc=$(cat "$out/results/rc")
if ! scripts/check-splats.sh "$out/console.log" "$out/results/dmesg" "$out/results/kmemleak"; then
	echo "vm-run: kernel splat: failing the run (logs in ${out#"$top"/})" >&2
	exit 126
fi
echo "vm-run: command exited $rc after $((SECONDS - start))s (logs in ${out#"$top"/})"
exit "$rc"
