#!/usr/bin/env bash
# The test entry point: deps, kernel tree, kernels, initramfs, the fuse
# kselftests in the VM on each kernel flavor, splat check, one summary.
# usage: check.sh [FLAVOR...]   (default: normal debug, then libfuse's test
#        suite over both transports, lint and the distro builds)
set -euo pipefail
cd "$(dirname "$0")/.."
flavors=("$@") full=0
[ "${#flavors[@]}" -gt 0 ] || flavors=(normal debug) full=1
t0=$SECONDS
# step TITLE CMD...: run CMD with a heading and its time; returns its status
# (callers test it with || or if, where set -e does not apply inside).
step() {
	local s=$SECONDS rc=0
	echo "== $1"
	shift
	"$@" || rc=$?
	echo "== done in $((SECONDS - s))s"
	return "$rc"
}
step "dependencies" scripts/install-deps.sh
step "kernel tree" scripts/make-tree.sh --if-stale
for f in "${flavors[@]}"; do
	step "kernel ($f)" scripts/build-kernel.sh "$f"
done
step "initramfs" scripts/build-initramfs.sh

pass=0 fail=0 skip=0 failed=()
for f in "${flavors[@]}"; do
	out=build/runs/check-$f
	timeout=1200
	[ "$f" = debug ] && timeout=3600
	vmrc=0
	step "selftests in the VM ($f kernel)" scripts/vm-run.sh -q -f -k "$f" -m 3G \
		-t "$timeout" -o "$out" -- sh -c 'cd /kselftest && ./run_kselftest.sh' || vmrc=$?
	summary=$(scripts/tap-summary.sh "$out/results/output")
	sed "\$d; s/^/$f: /" <<<"$summary"
	mapfile -t -O "${#failed[@]}" failed < <(sed "\$d; s/^/$f: /" <<<"$summary")
	read -r p fl s < <(tail -n 1 <<<"$summary")
	if [ "$vmrc" -ne 0 ]; then
		echo "$f: FAIL: the VM run itself (exit $vmrc: 124 watchdog, 125 no results, 126 kernel splat); logs in $out"
		fl=$((fl + 1))
		failed+=("$f: FAIL: the VM run (exit $vmrc)")
	fi
	echo "$f kernel: $p passed, $fl failed, $s skipped (logs in $out)"
	pass=$((pass + p)) fail=$((fail + fl)) skip=$((skip + s))
done
# gate NAME DESCRIPTION COMMAND...: a stage that counts as one test
gate() {
	local name=$1 desc=$2
	shift 2
	if step "$desc" "$@"; then
		pass=$((pass + 1))
	else
		echo "FAIL: $name (see above)"
		failed+=("FAIL: $name")
		fail=$((fail + 1))
	fi
}
if [ "$full" -eq 1 ]; then
	gate "libfuse's test suite" "libfuse's test suite in the VM, over /dev/fuse and over the ring" \
		scripts/libfuse-check.sh
fi
gate lint "lint (checkpatch, per-patch builds, sparse, kernel-doc, rst, shellcheck)" scripts/lint.sh
if [ "$full" -eq 1 ]; then
	gate "distro builds" "distro builds (newest Debian 6.12.y, Debian's kernel config)" scripts/distro-check.sh
fi
echo "== total $((SECONDS - t0))s"
# Repeat what failed or skipped last: CI logs keep the tail.
[ "${#failed[@]}" -eq 0 ] || printf '%s\n' "${failed[@]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$skip" -eq 0 ] && [ "$pass" -gt 0 ]
