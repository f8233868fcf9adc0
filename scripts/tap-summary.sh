#!/usr/bin/env bash
# Count kselftest TAP results in a run_kselftest.sh output file: print each
# failure (with the two diagnostic lines before it) and skip, then
# "PASSED FAILED SKIPPED" on the last line.
# A missing file counts as one failure. usage: tap-summary.sh OUTPUT
set -euo pipefail
out=$1
[ -f "$out" ] || { echo "FAIL: no test output ($out)"; echo "0 1 0"; exit 0; }
# Test cases are the harness' lines nested one level under run_kselftest.sh;
# a test program that dies before its plan counts through its own line.
awk '
/^# ok [0-9]+ .*# SKIP/ { skip++; print "SKIP:" substr($0, 3); next }
/^# ok [0-9]+ /        { pass++; next }
/^# not ok [0-9]+ /    { fail++; print "FAIL:" substr($0, 3) " (" p2 " | " p1 ")"; next }
/^not ok [0-9]+ /      { progfail++; print "FAIL:" $0; next }
/^# # .*(Test terminated|Test failed| FAIL )/ { next }
/^# # /                { p2 = p1; p1 = substr($0, 5) }
END {
	fail += progfail
	printf "%d %d %d\n", pass, fail, skip
}' "$out"
