#!/usr/bin/env bash
# Fail (exit 1) if a kernel log shows a WARNING, BUG, Oops, lockdep, KASAN,
# kmemleak or hung-task report. usage: check-splats.sh LOG...
set -euo pipefail
pattern='WARNING:|BUG:|BUG |Oops|Kernel panic|general protection fault|'
pattern+='INFO: task .* blocked for more than|possible circular locking|'
pattern+='possible recursive locking|inconsistent lock state|'
pattern+='KASAN|UBSAN|unreferenced object|list_add corruption|list_del corruption|'
pattern+='rcu: INFO|watchdog: BUG|Call Trace:|refcount_t:|kernel BUG at'
found=0
for log in "$@"; do
	[ -f "$log" ] || continue
	if hits=$(grep -a -n -E "$pattern" "$log" | grep -a -v -E 'check-splats|Lockdep is disabled'); then
		echo "check-splats: kernel splat in $log:" >&2
		head -n 20 <<<"$hits" >&2
		found=1
	fi
done
exit "$found"
