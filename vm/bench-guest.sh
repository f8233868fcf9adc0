#!/bin/sh
# The benchmark's guest side (busybox sh), run by scripts/bench.sh through
# scripts/vm-run.sh -f: usage: sh bench-guest.sh /work/bench.conf
#
# The configuration file sets WORKLOADS, CONFIGS, PINS, PIN_CPU, REPS,
# RUNTIME, META_SECS, FILE_MB and PROFILE (see scripts/bench.sh). Every
# workload runs on every configuration: "native" is the backing tmpfs
# directory itself, "devN" the passthrough daemon over classic /dev/fuse with
# N threads, "ringN" the daemon over the io_uring ring with N queues; for the
# anchor (scripts/bench-anchor.sh, upstream kernel) "hpN" is libfuse's
# passthrough_hp over /dev/fuse with N threads and "hpring" passthrough_hp
# over upstream's io_uring transport (one queue per CPU). For one
# workload and one pinning mode the daemons are started afresh (one per
# configuration, each on its own mountpoint over the same backing directory),
# then the repetitions run interleaved (rep 1 on every configuration, then
# rep 2, ...), so that a disturbance hits all configurations alike. fio runs
# all of them in one invocation (stonewalled job sections): its start-up
# costs seconds under TCG.
#
# Raw results go to /results/bench-raw.tgz: fio JSON per workload and pinning
# mode, fsmeta lines, daemon statistics, CPU use and context switches, and in
# profile mode perf.WORKLOAD.PIN.CONFIG.txt: one more run of each FUSE
# configuration under perf record (all CPUs), where the CPU time went.
conf=${1:?usage: bench-guest.sh CONFFILE}
# shellcheck source=/dev/null # written by scripts/bench.sh
. "$conf"

BACKING=/tmp/backing
RAW=/tmp/bench-raw
PT=/kselftest/fuse/fuse_passthrough
# libfuse's passthrough_hp with libfuse/*.patch, staged by scripts/bench.sh
HP=/hp/passthrough_hp
HP_LIBS=/hp/lib
TOOLS=/work/tools
PERF_DIR=$TOOLS/perf
T0=$(cut -d' ' -f1 /proc/uptime)

log() {
	awk -v t0="$T0" -v msg="$*" '{ e = $1 - t0; printf "bench: [%d:%02d] %s\n", e / 60, e % 60, msg }' /proc/uptime
}

die() {
	log "ERROR: $*"
	diagnose
	abort_fuse
	exit 1
}

# After a failure: what every task waits on, and the FUSE connections'
# outstanding requests, into failure.txt next to the raw results.
diagnose() {
	mkdir -p "$RAW"
	{
		echo "== tasks not running or sleeping normally (pid state comm, kernel stack)"
		for t in /proc/[0-9]*/task/[0-9]*; do
			st=$(cut -d' ' -f1-3 "$t/stat" 2>/dev/null) || continue
			case $st in *" D" | *" R") ;; *) case $st in *fio* | *fuse* | *fsmeta* | *passthrough* | *iou-wrk*) ;; *) continue ;; esac ;; esac
			echo "$st"
			sed 's/^/    /' "$t/stack" 2>/dev/null
		done
		echo "== /sys/fs/fuse/connections: waiting requests"
		for c in /sys/fs/fuse/connections/*; do
			[ -e "$c/waiting" ] && echo "$c $(cat "$c/waiting")"
		done
	} >"$RAW/failure.txt" 2>&1
	cp /tmp/*.err /tmp/*.fio "$RAW/" 2>/dev/null
}

# After a failure: abort every FUSE connection, so that no process stays
# stuck on a request (and the VM can power off and ship the results).
abort_fuse() {
	for c in /sys/fs/fuse/connections/*/abort; do
		[ -e "$c" ] && echo 1 >"$c"
	done
	for cfg in $CONFIGS; do
		pid=$(eval "echo \${pid_$cfg:-}")
		[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	done
}

pack_results() {
	tar -czf /results/bench-raw.tgz -C "$RAW" . 2>/dev/null
}

# The directory a configuration's workload runs in.
cfg_dir() {
	case $1 in
	native) echo "$BACKING" ;;
	*) echo "/tmp/mnt-$1" ;;
	esac
}

# exec_daemon CFG MNT EXTRA: become the configuration's daemon (run it in
# the background: exec makes $! its pid). EXTRA: fuse_passthrough options.
# passthrough_hp: no kernel passthrough or splice (the daemon copies, as
# fuse_passthrough does) and no caching (no writeback cache, as ours).
exec_daemon() {
	hp="$HP --foreground --nopassthrough --nosplice --nocache"
	# shellcheck disable=SC2086 # word splitting of the options wanted
	case $1 in
	dev[0-9]*) exec $PT -t dev -j "${1#dev}" $3 -s "/tmp/stats.$1" "$BACKING" "$2" ;;
	ringd[0-9]*) exec $PT -t uring -D -j "${1#ringd}" $3 -s "/tmp/stats.$1" "$BACKING" "$2" ;;
	ring[0-9]*) exec $PT -t uring -j "${1#ring}" $3 -s "/tmp/stats.$1" "$BACKING" "$2" ;;
	hp[0-9]*) exec env LD_LIBRARY_PATH="$HP_LIBS" $hp --num-threads="${1#hp}" "$BACKING" "$2" ;;
	hpring) exec env LD_LIBRARY_PATH="$HP_LIBS" $hp -o io_uring "$BACKING" "$2" ;;
	esac
	echo "unknown configuration '$1'" >&2
	exit 1
}

prepare_files() {
	mkdir -p "$BACKING" "$RAW"
	cp "$conf" "$RAW/bench.conf"
	for i in 0 1 2 3; do
		dd if=/dev/zero of="$BACKING/d.$i" bs=1M count="$FILE_MB" 2>/dev/null ||
			die "cannot lay out $BACKING/d.$i"
	done
	dd if=/dev/zero of="$BACKING/w.0" bs=1M count="$FILE_MB" 2>/dev/null ||
		die "cannot lay out $BACKING/w.0"
	mkdir -p "$BACKING/meta"
	case " $CONFIGS " in
	*" hp"*) [ -x "$HP" ] || die "configuration hp*: no $HP (scripts/bench.sh stages it)" ;;
	esac
	case " $CONFIGS " in
	*" ring"* | *" hpring "*)
		# Either ring transport is off unless the fuse module allows it
		echo 1 >/sys/module/fuse/parameters/enable_uring ||
			die "ring: cannot set fuse.enable_uring (no CONFIG_FUSE_IO_URING?)"
		;;
	esac
	{
		echo "kernel $(uname -r)"
		echo "cpus $(nproc)"
		echo "numa_nodes $(find /sys/devices/system/node -maxdepth 1 -name 'node[0-9]*' | wc -l)"
		grep MemTotal /proc/meminfo
		echo "enable_uring $(cat /sys/module/fuse/parameters/enable_uring 2>/dev/null || echo -)"
		echo "fio $(fio --version)"
	} >"$RAW/info"
}

wait_mount() {
	i=0
	while ! grep -q " $1 fuse" /proc/mounts; do
		i=$((i + 1))
		[ "$i" -le 200 ] || return 1
		running "$2" || return 1
		sleep 0.05
	done
}

# start_daemons TAG EXTRA_ARGS: one daemon per FUSE configuration
start_daemons() {
	for cfg in $CONFIGS; do
		[ "$cfg" = native ] && continue
		mnt=$(cfg_dir "$cfg")
		mkdir -p "$mnt"
		exec_daemon "$cfg" "$mnt" "$2" >"/tmp/daemon.$cfg.err" 2>&1 &
		eval "pid_$cfg=$!"
		wait_mount "$mnt" "$!" ||
			die "$1: the $cfg daemon did not mount $mnt: $(cat "/tmp/daemon.$cfg.err")"
	done
}

# Whether a process runs (a zombie waiting for wait does not).
running() {
	[ -r "/proc/$1/stat" ] && awk '{ exit $3 == "Z" }' "/proc/$1/stat" 2>/dev/null
}

# Sum of a field over a process's threads' status files.
thread_sum() {
	cat /proc/"$1"/task/*/status 2>/dev/null | awk -v f="$2:" '$1 == f { s += $2 } END { print s + 0 }'
}

# stop_daemons TAG: stop them, keep their statistics and CPU use
stop_daemons() {
	for cfg in $CONFIGS; do
		[ "$cfg" = native ] && continue
		pid=$(eval "echo \$pid_$cfg")
		# utime and stime in clock ticks (fields 14, 15), all threads
		cpu=$(awk '{ print $14, $15 }' "/proc/$pid/stat" 2>/dev/null)
		vcs=$(thread_sum "$pid" voluntary_ctxt_switches)
		ncs=$(thread_sum "$pid" nonvoluntary_ctxt_switches)
		threads=$(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
		kill -TERM "$pid" 2>/dev/null
		i=0
		while running "$pid" && [ "$i" -lt 200 ]; do
			i=$((i + 1))
			sleep 0.05
		done
		running "$pid" && die "$1: the $cfg daemon did not exit within 10s of SIGTERM"
		rc=0
		wait "$pid" || rc=$?
		# passthrough_hp exits 1 when a signal ended its loop
		case $cfg:$rc in
		*:0 | hp*:1) ;;
		*) die "$1: $cfg daemon exited $rc: $(cat "/tmp/daemon.$cfg.err")" ;;
		esac
		# libfuse (with libfuse/*.patch) logs which transport FUSE_INIT chose
		if [ "$cfg" = hpring ] && ! grep -q 'FUSE_INIT: io_uring=on' "/tmp/daemon.$cfg.err"; then
			die "$1: hpring did not use io_uring: $(cat "/tmp/daemon.$cfg.err")"
		fi
		{
			# passthrough_hp keeps no statistics
			cat "/tmp/stats.$cfg" 2>/dev/null || echo "transport $cfg"
			echo "cpu_ticks ${cpu:-0 0}"
			echo "clk_tck 100"
			echo "threads $threads"
			echo "voluntary_ctxt_switches $vcs"
			echo "nonvoluntary_ctxt_switches $ncs"
		} >"$RAW/$1.$cfg.stats"
		rm -f "/tmp/stats.$cfg"
	done
}

# fio options of a workload (everything but the per-section directory)
fio_options() {
	case $1 in
	randread-4k-psync-1j) echo "rw=randread bs=4k direct=1 ioengine=psync numjobs=1" ;;
	randread-4k-psync-4j) echo "rw=randread bs=4k direct=1 ioengine=psync numjobs=4" ;;
	randread-4k-uring-qd4) echo "rw=randread bs=4k direct=1 ioengine=io_uring iodepth=4 numjobs=1" ;;
	randread-4k-uring-qd16) echo "rw=randread bs=4k direct=1 ioengine=io_uring iodepth=16 numjobs=1" ;;
	read-128k-buffered) echo "rw=read bs=128k direct=0 ioengine=psync numjobs=1" ;;
	read-1m-direct-1j) echo "rw=read bs=1m direct=1 ioengine=psync numjobs=1" ;;
	read-1m-direct-4j) echo "rw=read bs=1m direct=1 ioengine=psync numjobs=4" ;;
	randread-4k-mmap) echo "rw=randread bs=4k direct=0 ioengine=mmap numjobs=1" ;;
	write-1m-buffered) echo "rw=write bs=1m direct=0 ioengine=psync numjobs=1 filename_format=w.\$jobnum" ;;
	write-1m-direct) echo "rw=write bs=1m direct=1 ioengine=psync numjobs=1 filename_format=w.\$jobnum" ;;
	*) return 1 ;;
	esac
}

# write_jobfile WORKLOAD FILE [CONFIGS REPS RUNTIME]: rep-major sections, one
# per configuration (default: the run's configurations, repetitions, runtime)
write_jobfile() {
	opts=$(fio_options "$1") || die "unknown workload '$1'"
	jf_configs=${3:-$CONFIGS} jf_reps=${4:-$REPS} jf_runtime=${5:-$RUNTIME}
	{
		echo "[global]"
		echo "filename_format=d.\$jobnum"
		for o in $opts; do echo "$o"; done
		echo "size=${FILE_MB}m"
		echo "time_based=1"
		echo "runtime=$jf_runtime"
		echo "invalidate=0"
		echo "group_reporting=1"
		jf_rep=1
		while [ "$jf_rep" -le "$jf_reps" ]; do
			for jf_cfg in $jf_configs; do
				echo "[$jf_cfg.$jf_rep]"
				echo "stonewall"
				echo "directory=$(cfg_dir "$jf_cfg")"
			done
			jf_rep=$((jf_rep + 1))
		done
	} >"$2"
}

# pinned PIN CMD...: run CMD, on one CPU when PIN is "pinned"
pinned() {
	if [ "$1" = pinned ]; then
		shift
		taskset -c "$PIN_CPU" "$@"
	else
		shift
		"$@"
	fi
}

# fio keeps its job table in System V shared memory: the shim stands in
# for a kernel built without CONFIG_SYSVIPC. Prints the variable to set.
fio_shim() {
	if [ -d /proc/sysvipc ]; then
		echo FIO_SHM_NATIVE=1
	else
		echo "LD_PRELOAD=$TOOLS/shm-shim.so"
	fi
}

run_fio() {
	tag=$1.$2
	write_jobfile "$1" "/tmp/$tag.fio"
	cp "/tmp/$tag.fio" "$RAW/$tag.fio"
	# A hang fails the run long before fio's own 300 s stall detection
	limit=$((REPS * $(echo "$CONFIGS" | wc -w) * (RUNTIME + 3) + 60))
	rc=0
	pinned "$2" timeout -s KILL "$limit" env "$(fio_shim)" fio --output-format=json \
		--output="$RAW/$tag.json" "/tmp/$tag.fio" >"/tmp/$tag.out" 2>"/tmp/$tag.err" || rc=$?
	[ "$rc" -ne 137 ] || die "$tag: fio did not finish in ${limit}s (a hang?); stopped it"
	[ "$rc" -eq 0 ] || die "$tag: fio failed ($rc): $(tail -n 5 "/tmp/$tag.err")"
	grep -v '^fio: .*cache invalidation' "/tmp/$tag.err" >&2 || true
}

run_meta() {
	tag=$1.$2
	threads=${1#meta-}
	threads=${threads%t}
	limit=$(awk -v m="$META_SECS" 'BEGIN { printf "%d\n", 4 * m + 60 }')
	rep=1
	while [ "$rep" -le "$REPS" ]; do
		for cfg in $CONFIGS; do
			dir=$(cfg_dir "$cfg")/meta
			rc=0
			out=$(pinned "$2" timeout -s KILL "$limit" "$TOOLS/fsmeta" -t "$threads" -T "$META_SECS" \
				"$dir" 2>"/tmp/$tag.err") || rc=$?
			[ "$rc" -ne 137 ] || die "$tag: fsmeta on $cfg did not finish in ${limit}s (a hang?)"
			[ "$rc" -eq 0 ] || die "$tag: fsmeta on $cfg failed ($rc): $(tail -n 5 "/tmp/$tag.err")"
			echo "$1 $2 $cfg $rep $out" >>"$RAW/meta.txt"
		done
		rep=$((rep + 1))
	done
}

# Aggregate CPU times from /proc/stat (profile mode)
cpu_snapshot() {
	awk '$1 == "cpu" { print "user", $2 + $3; print "system", $4; print "idle", $5 + $6; print "irq", $7; print "softirq", $8 }' /proc/stat
	awk '$1 == "ctxt" || $1 == "processes" { print $1, $2 }' /proc/stat
}

# Context switches and IPIs of all CPUs so far (profile mode): rescheduling
# IPIs (RES: a wake-up of a task on another CPU) and function-call IPIs (CAL)
ipi_snapshot() {
	awk '$1 == "ctxt" { print "ctxt", $2 }' /proc/stat
	awk '$1 == "RES:" || $1 == "CAL:" { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i
		print tolower(substr($1, 1, 3)), s }' /proc/interrupts
}

perf_cmd() {
	"$PERF_DIR/lib/ld-linux-x86-64.so.2" --library-path "$PERF_DIR/lib" "$PERF_DIR/perf" "$@"
}

# profile_runs WORKLOAD PIN: each FUSE configuration once more, under perf
# record at 499 Hz on all CPUs; its report (per command, then per command,
# object and symbol) goes to perf.WORKLOAD.PIN.CONFIG.txt. fio runs 2 s
# longer and perf starts 2 s late: fio's own start-up is not profiled.
profile_runs() {
	[ "$PROFILE" = 1 ] || return 0
	[ -x "$PERF_DIR/perf" ] || die "profile mode: no perf in $PERF_DIR"
	pin_cmd=""
	[ "$2" = pinned ] && pin_cmd="taskset -c $PIN_CPU"
	for cfg in $CONFIGS; do
		[ "$cfg" = native ] && continue
		case $1 in
		meta-*)
			threads=${1#meta-}
			cmd="$TOOLS/fsmeta -t ${threads%t} -T $META_SECS $(cfg_dir "$cfg")/meta"
			delay=""
			;;
		*)
			write_jobfile "$1" /tmp/profile.fio "$cfg" 1 $((RUNTIME + 2))
			delay="-D 2000"
			cmd="env $(fio_shim) fio --output=/tmp/profile.out /tmp/profile.fio"
			;;
		esac
		out=$RAW/perf.$1.$2.$cfg.txt
		ipi_snapshot >/tmp/ipi0
		# shellcheck disable=SC2086 # the command's words
		# (this perf rejects -D 0)
		perf_cmd record -q -a -F 499 $delay -o /tmp/perf.data -- $pin_cmd $cmd >/tmp/profile.cmd 2>/tmp/perf.err ||
			die "$1.$2: perf record of $cfg failed: $(tail -n 3 /tmp/perf.err)"
		ipi_snapshot >/tmp/ipi1
		# Application I/Os of the run: fio's issued total, or fsmeta's files x 3
		case $1 in
		meta-*) ios=$(sed -n 's/.*files=\([0-9]*\).*/\1/p' /tmp/profile.cmd | head -n 1) ios=$((${ios:-0} * 3)) ;;
		*) ios=$(sed -n 's/.*issued rwts: total=\([0-9]*\).*/\1/p' /tmp/profile.out | head -n 1) ;;
		esac
		{
			echo "ios ${ios:-0}"
			awk 'NR == FNR { a[$1] = $2; next } { print $1, $2 - a[$1] }' /tmp/ipi0 /tmp/ipi1
		} >"$RAW/perf.$1.$2.$cfg.counts"
		{
			echo "== $1 $2 $cfg: $(grep -o 'IOPS=[^,]*' /tmp/profile.out 2>/dev/null | head -n 1)"
			perf_cmd report -i /tmp/perf.data --stdio --sort comm 2>/dev/null | grep -v '^#' | grep .
			echo
			perf_cmd report -i /tmp/perf.data --stdio --sort comm,dso,sym --percent-limit 0.5 \
				2>/dev/null | grep -v '^#' | grep .
			# Pinned: the one CPU that runs the application and its queue's
			# daemon thread; with BENCH_ICOUNT=1 its samples are instructions
			if [ "$2" = pinned ]; then
				echo
				echo "-- CPU $PIN_CPU only (samples of that CPU, idle included):"
				perf_cmd report -i /tmp/perf.data --stdio --cpu "$PIN_CPU" --sort comm,sym \
					--percent-limit 0.3 2>/dev/null | grep -v '^#' | grep .
			fi
		} >"$out"
		# Pinned: the samples themselves too, for perf annotate on the host
		[ "$2" = pinned ] && cp /tmp/perf.data "$RAW/perf.$1.$2.$cfg.data"
		rm -f /tmp/perf.data /tmp/profile.out /tmp/profile.cmd
	done
}

run_workload() {
	wl=$1 pin=$2
	tag=$wl.$pin
	extra=""
	# Metadata: no attribute or entry caching, so that every stat() asks the daemon
	case $wl in meta-*) extra="-a 0" ;; esac
	start_daemons "$tag" "$extra"
	[ "$PROFILE" = 1 ] && cpu_snapshot >"$RAW/$tag.cpu0"
	case $wl in
	meta-*) run_meta "$wl" "$pin" ;;
	*) run_fio "$wl" "$pin" ;;
	esac
	[ "$PROFILE" = 1 ] && cpu_snapshot >"$RAW/$tag.cpu1"
	stop_daemons "$tag"
	# Profiled runs on fresh daemons: the statistics above stay the measured runs'
	if [ "$PROFILE" = 1 ]; then
		start_daemons "$tag.perf" "$extra"
		profile_runs "$wl" "$pin"
		stop_daemons "$tag.perf"
		rm -f "$RAW/$tag.perf."*.stats
	fi
}

# What a process-to-process wake-up round trip costs in this VM, on one CPU
# and between two CPUs (bench/roundtrip.c), REPS times each: the hand-over
# each FUSE request makes, to read the transports' figures against.
measure_roundtrip() {
	other=0
	[ "$PIN_CPU" = 0 ] && other=1
	rep=1
	while [ "$rep" -le "$REPS" ]; do
		"$TOOLS/roundtrip" "$PIN_CPU" "$PIN_CPU" || die "roundtrip on CPU $PIN_CPU failed"
		if [ "$(nproc)" -gt 1 ]; then
			"$TOOLS/roundtrip" "$PIN_CPU" "$other" || die "roundtrip on CPUs $PIN_CPU,$other failed"
		fi
		rep=$((rep + 1))
	done >"$RAW/roundtrip.txt"
}

main() {
	trap pack_results EXIT
	# The daemons keep a descriptor per known inode: a fast metadata run
	# (the deterministic mode) creates more files than the default 1024
	# shellcheck disable=SC3045 # busybox ash has ulimit -n
	ulimit -n 65536 || die "cannot raise the open file limit"
	log "$(uname -r), $(nproc) cpus; workloads: $WORKLOADS; configurations: $CONFIGS; $PINS; $REPS reps of ${RUNTIME}s"
	prepare_files
	measure_roundtrip
	n=0 total=0
	for wl in $WORKLOADS; do for pin in $PINS; do total=$((total + 1)); done; done
	for wl in $WORKLOADS; do
		for pin in $PINS; do
			n=$((n + 1))
			log "($n/$total) $wl, $pin"
			run_workload "$wl" "$pin"
		done
	done
	log "done"
}

main
