#!/usr/bin/env bash
# Teardown stress: fuse_uring_teardown_test with many iterations per case and
# fuse_fio_faults.sh in one VM, on the debug kernel by default; then the
# kernel log is scanned for splats and kmemleak reports, and a summary says
# cases x iterations, passed/failed, splats, leaks and hangs.
# usage: stress.sh [normal|debug]   (default: STRESS_FLAVOR, else debug)
#   STRESS_ITERS      iterations per teardown case (default 100)
#   STRESS_FIO_ITERS  runs per fio fault (default 5)
#   STRESS_SEED       seed of the random delays (default: random, printed)
#   STRESS_KSFT       a selftests build dir (make -C ... OUTPUT=DIR, plus the
#                     scripts) used instead of the initramfs' /kselftest/fuse
#   STRESS_OUT        results (default build/runs/stress-FLAVOR)
set -euo pipefail
cd "$(dirname "$0")/.."
flavor=${1:-${STRESS_FLAVOR:-debug}}
iters=${STRESS_ITERS:-100}
fio_iters=${STRESS_FIO_ITERS:-5}
seed=${STRESS_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
out=${STRESS_OUT:-build/runs/stress-$flavor}
td_cases=12 fio_cases=5
case $flavor in
normal) per_iter=3 per_fio=20 ;;
debug) per_iter=15 per_fio=90 ;;
*) echo "stress: unknown flavor '$flavor' (normal or debug)" >&2; exit 2 ;;
esac
# Watchdog: a generous bound over what a healthy run takes
timeout=$((900 + 2 * (td_cases * iters * per_iter + fio_cases * fio_iters * per_fio)))
copies=()
[ -n "${STRESS_KSFT:-}" ] && copies=(-c "$STRESS_KSFT:/kselftest/fuse")

cmd="cd /kselftest/fuse || exit 1; "
cmd+="echo '== teardown: $td_cases cases x $iters iterations'; "
cmd+="FUSE_TEARDOWN_ITERS=$iters FUSE_TEARDOWN_SEED=$seed ./fuse_uring_teardown_test; "
cmd+="t=\$?; "
cmd+="echo \"== teardown exit \$t\"; "
cmd+="echo '== fio faults: $fio_cases faults x $fio_iters runs'; "
cmd+="FUSE_FIO_FAULT_ITERS=$fio_iters FUSE_FIO_FAULT_SEED=$seed ./fuse_fio_faults.sh; "
cmd+="f=\$?; "
cmd+="echo \"== fio faults exit \$f\"; "
cmd+="[ \$t -eq 0 ] && [ \$f -eq 0 ]"

echo "stress: $flavor kernel, $td_cases teardown cases x $iters iterations," \
	"$fio_cases fio faults x $fio_iters runs, seed $seed (STRESS_SEED), watchdog ${timeout}s"
start=$SECONDS
rcfile=$(mktemp)
trap 'rm -f "$rcfile"' EXIT
# Progress: the results and failures as they come, with the elapsed time
{
	rc=0
	scripts/vm-run.sh -f -k "$flavor" -m 3G -t "$timeout" -o "$out" \
		"${copies[@]}" -- sh -c "$cmd" || rc=$?
	echo "$rc" >"$rcfile"
} 2>&1 | grep --line-buffered -E \
	'^(not )?ok |^== |hangs|^# .*(FAIL|[Ee]xpected)|^vm-run:|WARNING:|BUG|KASAN|Oops' |
	while IFS= read -r line; do
		printf 'stress: [%5ds] %s\n' "$((SECONDS - start))" "${line%$'\r'}"
	done || true
vmrc=$(cat "$rcfile")

res=$out/results
output=$res/output
log=$res/dmesg
[ -s "$log" ] || log=$out/console.log
count() { # count PATTERN FILE: matching lines, 0 for a missing file
	if [ -f "$2" ]; then grep -a -c -E "$1" "$2" || true; else echo 0; fi
}
passed=$(count '^ok [0-9]+ (teardown|fio_faults)\.' "$output")
failed=$(count '^not ok [0-9]+ (teardown|fio_faults)\.' "$output")
# A case that never reported (crash, watchdog) failed too
missing=$((td_cases + fio_cases - passed - failed))
[ "$missing" -gt 0 ] && failed=$((failed + missing))
splats=$(count 'WARNING:|BUG:|kernel BUG at|Oops|general protection fault|KASAN:|UBSAN:|possible (circular|recursive) locking|inconsistent lock state|INFO: task .* blocked for more than|list_(add|del) corruption|refcount_t:|rcu: INFO' "$log")
leaks=$(count 'unreferenced object' "$res/kmemleak")
hangs=$(count ' hangs|Test terminated by timeout' "$output")
[ "$vmrc" -eq 124 ] && hangs=$((hangs + 1))
if [ "$splats" -gt 0 ] || [ "$leaks" -gt 0 ]; then
	scripts/check-splats.sh "$log" "$res/kmemleak" || true
fi

echo "stress: $flavor kernel, seed $seed, $((SECONDS - start))s, VM exit $vmrc (logs in $out)"
echo "stress: $td_cases cases x $iters iterations + $fio_cases cases x $fio_iters runs:" \
	"$passed passed, $failed failed, $splats splats, $leaks leaks, $hangs hangs"
[ "$failed" -eq 0 ] && [ "$splats" -eq 0 ] && [ "$leaks" -eq 0 ] &&
	[ "$hangs" -eq 0 ] && [ "$vmrc" -eq 0 ]
