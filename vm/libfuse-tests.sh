#!/usr/bin/env bash
# In the VM (vm-run.sh -r, the host's root file system): libfuse's own test
# suite, once over /dev/fuse and once over the ring (run-tests.py --io-uring,
# which fails every test whose daemon did not get a ring).
# usage: libfuse-tests.sh SRC BUILD JOBS LIMIT   (LIMIT: seconds per run;
#        results in /results/libfuse-*.txt, failed tests' logs in
#        /results/failed-{dev,ring}/)
set -euo pipefail
src=$1 bld=$2 jobs=$3 limit=$4
echo 1 >/sys/module/fuse/parameters/enable_uring
# run-tests.py reads a hung test's kernel stacks with 'sudo -n cat'; the VM
# runs as root and has no sudo (without this the runner itself crashes)
if ! command -v sudo >/dev/null; then
	# shellcheck disable=SC2016 # the script's own $1 and $@
	printf '#!/bin/sh\n[ "$1" = -n ] && shift\nexec "$@"\n' >/usr/local/bin/sudo
	chmod 0755 /usr/local/bin/sudo
fi
ulimit -c 0
# run-tests.py makes a cgroup per test beside its own: start it in a child of
# the root cgroup, so that the parent it writes into is /sys/fs/cgroup.
mkdir -p /sys/fs/cgroup/libfuse-tests
echo $$ >/sys/fs/cgroup/libfuse-tests/cgroup.procs
rc=0
for transport in dev ring; do
	args=(--build-dir "$bld" -j "$jobs" --run-dir "/var/tmp/libfuse-$transport" --keep-logs)
	[ "$transport" = ring ] && args+=(--io-uring)
	echo "libfuse-tests: run-tests.py ${args[*]}"
	timeout -k 10 "$limit" python3 -B "$src/test/run-tests.py" "${args[@]}" 2>&1 |
		tee "/results/libfuse-$transport.txt" || rc=1
	# Which transport carried the requests: the request lines of the
	# daemons run with -d ("dev unique:" read from /dev/fuse, "ring
	# unique:" taken from the ring).
	# The logs of every failed test come back with the results.
	sed -n "s|^ *logs: \(/var/tmp/libfuse-$transport/.*\)/logs\(/script.out\)\{0,1\}$|\1|p" \
		"/results/libfuse-$transport.txt" | sort -u | while read -r d; do
		mkdir -p "/results/failed-$transport/${d#/var/tmp/libfuse-"$transport"/}"
		cp -r "$d/logs/." "/results/failed-$transport/${d#/var/tmp/libfuse-"$transport"/}/"
	done
	for t in dev ring; do
		n=$(cat /var/tmp/libfuse-$transport/*/*/logs/* 2>/dev/null | grep -c "$t unique: " || true)
		echo "$t $n"
	done >"/results/libfuse-$transport-counts.txt"
done
exit "$rc"
