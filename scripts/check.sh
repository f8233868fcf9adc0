#!/usr/bin/env bash
# The test entry point: deps, kernel tree, kernel, initramfs, the fuse
# kselftests in the VM, splat check, summary. usage: check.sh [normal|debug]
set -euo pipefail
cd "$(dirname "$0")/.."
flavor=${1:-normal}
t0=$SECONDS
step() {
	local s=$SECONDS
	echo "== $1"
	shift
	"$@"
	echo "== done in $((SECONDS - s))s"
}
step "dependencies" scripts/install-deps.sh
step "kernel tree" scripts/make-tree.sh --if-stale
step "kernel ($flavor)" scripts/build-kernel.sh "$flavor"
step "initramfs" scripts/build-initramfs.sh
out=build/runs/check-$flavor
timeout=900
[ "$flavor" = debug ] && timeout=2400
vmrc=0
step "selftests in the VM ($flavor)" scripts/vm-run.sh -q -k "$flavor" -t "$timeout" -o "$out" -- \
	sh -c 'cd /kselftest && ./run_kselftest.sh' || vmrc=$?
echo "== results ($flavor kernel, $((SECONDS - t0))s total)"
summary=$(scripts/tap-summary.sh "$out/results/output")
sed '$d' <<<"$summary"
read -r pass fail skip < <(tail -n 1 <<<"$summary")
if [ "$vmrc" -ne 0 ]; then
	echo "FAIL: the VM run itself (exit $vmrc: 124 watchdog, 125 no results, 126 kernel splat)"
	fail=$((fail + 1))
fi
echo "logs: $out/console.log $out/results/"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$skip" -eq 0 ] && [ "$pass" -gt 0 ]
