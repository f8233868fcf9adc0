#!/usr/bin/env bash
# libfuse's own test suite (test/run-tests.py of Debian's fuse3 source with
# libfuse/*.patch) in the VM on the normal kernel: once over /dev/fuse, once
# over the ring (--io-uring: a test fails when a daemon did not get a ring).
# Passes when neither run has a failure and both give every test the same
# result. Prints the counts per transport, the tests that differ and the
# requests the daemons run with -d logged per transport.
# usage: libfuse-check.sh        (make libfuse-check; a stage of make check)
# Environment: LIBFUSE_JOBS=4 tests at once in the VM, LIBFUSE_CPUS=2 vCPUs
#   (one per host core: a vCPU the host takes off its core for a time slice
#   stalls what runs on it, and the suite's notify tests and the write-back
#   cache's mtime check are timing-sensitive), LIBFUSE_LIMIT=900 seconds per
#   run. Results: build/runs/libfuse/results/libfuse-*.txt
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
out=$top/build/runs/libfuse
jobs=${LIBFUSE_JOBS:-4}
cpus=${LIBFUSE_CPUS:-2}
limit=${LIBFUSE_LIMIT:-900}

scripts/build-libfuse.sh
src=$top/build/libfuse/src
bld=$top/build/libfuse/build
[ -x "$src/test/run-tests.py" ] || { echo "libfuse-check: no $src/test/run-tests.py; run scripts/build-libfuse.sh" >&2; exit 1; }

vmrc=0
scripts/vm-run.sh -q -r -k normal -s "$cpus" -m 3G -t $((2 * limit + 120)) -o "$out" \
	-c vm/libfuse-tests.sh -- bash /work/libfuse-tests.sh "$src" "$bld" "$jobs" "$limit" || vmrc=$?

# "+   1.234s PASS  name   1.00s  reason" -> "name PASS"
results() {
	awk '$1 ~ /^\+/ && $3 ~ /^(PASS|FAIL|SKIP)$/ { print $4, $3 }' "$1" | LC_ALL=C sort
}

rc=0
for t in dev ring; do
	f=$out/results/libfuse-$t.txt
	if [ ! -f "$f" ] || ! grep -q '^[0-9]* tests: ' "$f"; then
		echo "libfuse-check: FAIL: the run over $t did not finish (VM exit $vmrc; see $f)"
		rc=1
		continue
	fi
	read -r dev ring < <(awk '{ v[$1] = $2 } END { print v["dev"] + 0, v["ring"] + 0 }' \
		"$out/results/libfuse-$t-counts.txt")
	printf 'libfuse-check: %-4s %s; requests in -d logs: /dev/fuse %s, ring %s\n' "$t" \
		"$(grep '^[0-9]* tests: ' "$f")" "$dev" "$ring"
	results "$f" >"$out/$t.results"
	grep ' FAIL$' "$out/$t.results" | sed "s/^/libfuse-check: FAIL over $t: /" && rc=1
	# The end of each failed test's output (all of it: $out/results/failed-$t/)
	for f in "$out/results/failed-$t"/*/*/script.out; do
		[ -f "$f" ] || continue
		echo "libfuse-check: --- ${f#"$out/results/"}, last lines:"
		tail -n 15 "$f"
	done
done
if [ "$rc" -eq 0 ] && ! diff -U0 "$out/dev.results" "$out/ring.results" >"$out/diff.txt"; then
	echo "libfuse-check: FAIL: results differ between /dev/fuse (-) and the ring (+):"
	grep '^[-+][^-+]' "$out/diff.txt"
	rc=1
fi
skips=$(grep -c ' SKIP$' "$out/dev.results" 2>/dev/null || true)
[ "$rc" -ne 0 ] || echo "libfuse-check: same results over both transports ($skips skipped in each, see $out/results)"
exit "$rc"
