#!/usr/bin/env bash
# Benchmark the FUSE transports in the VM: the same fio and metadata
# workloads on the backing tmpfs directory itself (native), through the
# passthrough daemon over classic /dev/fuse, and over the io_uring ring.
# usage: scripts/bench.sh            (make bench; BENCH_QUICK=1 for a smoke run)
# Environment (defaults: full run; BENCH_QUICK=1 changes them as noted):
#   BENCH_QUICK=1        ~3 min smoke run: 4 fio workloads + meta-1t, configurations
#                        native dev4 ring4, 1 s per run, the 4-vCPU VM only
#   BENCH_CPUS="4 2"     VM shapes (vCPUs, 2 NUMA nodes from 2 on); the first
#                        gets every workload, the others the quick set, with
#                        devN/ringN/hpN capped at their vCPUs (quick: "4")
#   BENCH_PROFILE=1      also write profile.txt/.csv: requests per opcode and
#                        transport, requests per I/O, daemon CPU, system CPU;
#                        and perf.txt: where CPU time goes (perf record in the VM,
#                        one extra run per configuration; needs linux-perf)
#   BENCH_ICOUNT=1       deterministic mode: QEMU counts instructions (vm-run.sh -i),
#                        the guest's clock is instructions executed, so figures are
#                        work per operation, not host speed: 4K psync 1 and 4
#                        jobs, io_uring QD16, meta-1t; native dev4 ring4, 1 s,
#                        the 4-vCPU VM; results
#                        in build/bench/icount-<timestamp>
#   BENCH_REPS=3         repetitions (each figure: median and min-max)
#   BENCH_RUNTIME=2      seconds per fio run (quick: 1)
#   BENCH_META_SECS=1    seconds of file creation per metadata run
#   BENCH_CONFIGS="native dev4 ring4 ring1"   devN: /dev/fuse with N threads,
#                        ringN: the ring with N queues (quick: native dev4 ring4);
#                        ringdN: the same with IORING_SETUP_DEFER_TASKRUN queue rings;
#                        hpN, hpring: libfuse's passthrough_hp (libfuse/*.patch)
#                        over /dev/fuse with N threads, with -o io_uring
#   BENCH_PINS="unpinned pinned"   BENCH_PIN_CPU=1 (the CPU for pinned runs)
#   BENCH_WORKLOADS="..."  a subset of the names in ALL_WORKLOADS below
#   BENCH_FLAVOR=normal  kernel flavor (build/obj/<flavor>/vmlinux)
#   BENCH_TAG, BENCH_COPY="SRC:DST ..."  for scripts/bench-anchor.sh: results
#                        in build/bench/TAG-<timestamp>, extra files for the VM
# Output: build/bench/<timestamp>/{table.txt,results.json,results.csv,chart.png,
# raw/,console.log} (first VM shape), cpus<N>/ (the others) and the symlink
# build/bench/latest.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

ALL_WORKLOADS="randread-4k-psync-1j randread-4k-psync-4j randread-4k-uring-qd4
randread-4k-uring-qd16 read-128k-buffered read-1m-direct-1j read-1m-direct-4j
randread-4k-mmap write-1m-buffered write-1m-direct meta-1t meta-4t"
QUICK_WORKLOADS="randread-4k-psync-1j randread-4k-uring-qd16 read-1m-direct-1j
write-1m-buffered meta-1t"
ICOUNT_WORKLOADS="randread-4k-psync-1j randread-4k-psync-4j randread-4k-uring-qd16
meta-1t"
VM_MEM=3G
# Wall seconds per guest second with instruction counting (one host thread)
ICOUNT_SLOWDOWN=2
FILE_MB=64

# One line of words, single-spaced.
words() {
	tr -s ' \t\n' '   ' <<<"$*" | sed 's/^ //; s/ $//'
}

progress() {
	printf 'bench: [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"
}

die() {
	echo "bench: ERROR: $*" >&2
	exit 1
}

settings() {
	quick=${BENCH_QUICK:-0}
	icount=${BENCH_ICOUNT:-0}
	profile=${BENCH_PROFILE:-0}
	reps=${BENCH_REPS:-3}
	meta_secs=${BENCH_META_SECS:-1}
	pins=${BENCH_PINS:-unpinned pinned}
	pin_cpu=${BENCH_PIN_CPU:-1}
	flavor=${BENCH_FLAVOR:-normal}
	tag=${BENCH_TAG:+$BENCH_TAG-}
	[ "$icount" != 1 ] || tag=${tag:-icount-}
	read -ra extra_copies <<<"${BENCH_COPY:-}"
	if [ "$icount" = 1 ]; then
		shapes=${BENCH_CPUS:-4}
		runtime=${BENCH_RUNTIME:-1}
		configs=${BENCH_CONFIGS:-native dev4 ring4}
		workloads=${BENCH_WORKLOADS:-$ICOUNT_WORKLOADS}
	elif [ "$quick" = 1 ]; then
		shapes=${BENCH_CPUS:-4}
		runtime=${BENCH_RUNTIME:-1}
		configs=${BENCH_CONFIGS:-native dev4 ring4}
		workloads=${BENCH_WORKLOADS:-$QUICK_WORKLOADS}
	else
		shapes=${BENCH_CPUS:-4 2}
		runtime=${BENCH_RUNTIME:-2}
		configs=${BENCH_CONFIGS:-native dev4 ring4 ring1}
		workloads=${BENCH_WORKLOADS:-$ALL_WORKLOADS}
	fi
	all_workloads=$(words "$workloads")
	all_configs=$(words "$configs")
	workloads=$all_workloads configs=$all_configs
	pins=$(words "$pins")
	shapes=$(words "$shapes")
}

check_settings() {
	local w c p n
	[[ $reps =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPS='$reps': want a count >= 1"
	[[ $runtime =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNTIME='$runtime': want whole seconds >= 1"
	[[ $meta_secs =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_META_SECS='$meta_secs': want seconds"
	[[ $pin_cpu =~ ^[0-3]$ ]] || die "BENCH_PIN_CPU='$pin_cpu': the VM has CPUs 0-3"
	for n in $shapes; do
		[[ $n =~ ^[1-4]$ ]] || die "BENCH_CPUS: '$n' is not a vCPU count from 1 to 4"
	done
	for w in $workloads; do
		[[ " $(words "$ALL_WORKLOADS") " == *" $w "* ]] ||
			die "unknown workload '$w'; known: $(words "$ALL_WORKLOADS")"
	done
	for c in $configs; do
		[[ $c =~ ^(native|dev[1-9][0-9]?|ringd?[1-4]|hp[1-9][0-9]?|hpring)$ ]] ||
			die "unknown configuration '$c': want native, devN (threads), ringN or ringdN (queues, N <= 4 CPUs), hpN or hpring"
	done
	for p in $pins; do
		[[ $p =~ ^(unpinned|pinned)$ ]] || die "BENCH_PINS: '$p' is neither unpinned nor pinned"
	done
}

check_prereqs() {
	local f
	for f in "build/obj/$flavor/vmlinux" build/initramfs/base.cpio build/initramfs/fio.cpio; do
		[ -f "$f" ] || die "$f missing; run 'make kernel initramfs' (or 'make bench', which does)"
	done
	command -v gcc >/dev/null || die "gcc missing; run scripts/install-deps.sh"
	python=/usr/bin/python3 # Debian's, where python3-matplotlib installs
	[ -x "$python" ] || python=$(command -v python3) || die "python3 missing"
	"$python" -c 'import matplotlib' 2>/dev/null ||
		echo "bench: WARNING: $python has no matplotlib (python3-matplotlib): no chart" >&2
}

# The guest's tools: fsmeta and roundtrip (static), the System V shm shim for fio, and in
# profile mode perf with its libraries (run through their own ld.so).
build_tools() {
	tools=$top/build/bench/tools
	mkdir -p "$tools"
	gcc -static -O2 -Wall -Wextra -pthread -o "$tools/fsmeta" bench/fsmeta.c ||
		die "cannot build bench/fsmeta.c"
	gcc -static -O2 -Wall -Wextra -o "$tools/roundtrip" bench/roundtrip.c ||
		die "cannot build bench/roundtrip.c"
	gcc -O2 -Wall -Wextra -shared -fPIC -o "$tools/shm-shim.so" bench/shm-shim.c ||
		die "cannot build bench/shm-shim.c"
	rm -rf "$tools/perf"
	[ "$profile" = 1 ] || return 0
	local perf lib
	# Debian's /usr/bin/perf is the binary (backports) or a wrapper (perf_<version>)
	perf=$(find /usr/bin -maxdepth 1 -name 'perf_[0-9]*' | sort -V | tail -n 1)
	[ -n "$perf" ] || perf=/usr/bin/perf
	[ "$(head -c 4 "$perf" 2>/dev/null | tr -d '\0')" = $'\x7fELF' ] ||
		die "BENCH_PROFILE=1 needs perf (package linux-perf; scripts/install-deps.sh installs it)"
	mkdir -p "$tools/perf/lib"
	cp -L "$perf" "$tools/perf/perf"
	for lib in $(ldd "$perf" | awk '/=>/ { print $3 } /^\t\/lib/ { print $1 }'); do
		cp -L "$lib" "$tools/perf/lib/"
	done
	[ -x "$tools/perf/lib/ld-linux-x86-64.so.2" ] || die "cannot stage perf's libraries (ldd $perf)"
}

# hpN/hpring: libfuse's passthrough_hp from Debian's fuse3 with libfuse/*.patch
# (scripts/build-libfuse.sh, statically linked), the VM's /hp, on any kernel:
# over this series' ring here, over upstream's on the anchor's kernel.
stage_hp() {
	[[ " $configs " == *" hp"* ]] || return 0
	local hp=$top/build/libfuse/build/example/passthrough_hp
	[ -x "$hp" ] || scripts/build-libfuse.sh || die "cannot build libfuse (scripts/build-libfuse.sh)"
	! ldd "$hp" >/dev/null 2>&1 || die "$hp is not statically linked (the VM has no libraries)"
	rm -rf "$top/build/bench/hp"
	mkdir -p "$top/build/bench/hp/lib"
	cp "$hp" "$top/build/bench/hp/"
	extra_copies+=("$top/build/bench/hp:/hp")
}

write_conf() {
	cat >"$1" <<-EOF
		WORKLOADS="$workloads"
		CONFIGS="$configs"
		PINS="$pins"
		PIN_CPU=$pin_cpu
		REPS=$reps
		RUNTIME=$runtime
		META_SECS=$meta_secs
		FILE_MB=$FILE_MB
		PROFILE=$profile
		ICOUNT=$icount
		RING=$(compared ring)
		CLASSIC=$(compared classic)
	EOF
}

# compared ring|classic: the pair the ratios compare, the first ring
# configuration and the first classic one of the same daemon
compared() {
	local ring
	ring=$(grep -oE '\b(ring[0-9]+|hpring)\b' <<<"$configs" | head -n 1 || true)
	if [ "$1" = ring ]; then
		echo "$ring"
	elif [ "$ring" = hpring ]; then
		grep -oE '\bhp[0-9]+\b' <<<"$configs" | head -n 1 || true
	else
		grep -oE '\bdev[0-9]+\b' <<<"$configs" | head -n 1 || true
	fi
}

# Expected VM time in seconds, from timings under TCG: fio starts in ~2 s and
# spends ~0.5 s per job section beyond its runtime; a metadata run is
# ~3 create phases long; each workload restarts the daemons.
estimate() {
	local nw=0 nm=0 nc np w
	nc=$(wc -w <<<"$configs")
	np=$(wc -w <<<"$pins")
	for w in $workloads; do
		if [[ $w == meta-* ]]; then nm=$((nm + 1)); else nw=$((nw + 1)); fi
	done
	awk -v nw="$nw" -v nm="$nm" -v nc="$nc" -v np="$np" -v r="$reps" -v t="$runtime" \
		-v m="$meta_secs" -v slow="$([ "$icount" = 1 ] && echo "$ICOUNT_SLOWDOWN" || echo 1)" 'BEGIN {
			fio = nw * np * (3 + r * nc * (t + 0.6))
			meta = nm * np * (1 + r * nc * (3 * m + 0.5))
			printf "%d\n", slow * (25 + fio + meta) }'
}

show_vm_progress() {
	local lines i
	mapfile -t lines < <(grep -a '^bench: ' "$1" 2>/dev/null | tr -d '\r')
	for ((i = shown; i < ${#lines[@]}; i++)); do
		progress "vm ${lines[i]#bench: }"
	done
	shown=${#lines[@]}
}

run_vm() {
	local conf=$1 est pid c rc=0
	est=$(estimate)
	watchdog=$((est * 2 + 300))
	progress "booting the $cpus-vCPU VM: $(wc -w <<<"$workloads") workloads x $(wc -w <<<"$pins") pinning modes x" \
		"$reps reps on $configs; expect ~$(((est + 59) / 60)) min (watchdog ${watchdog}s)"
	local copies=(-c vm/bench-guest.sh -c "$conf:/work/bench.conf" -c "$tools:/work/tools")
	for c in "${extra_copies[@]}"; do
		copies+=(-c "$c")
	done
	[ "$icount" != 1 ] || copies+=(-i)
	scripts/vm-run.sh -q -f -k "$flavor" -s "$cpus" -m "$VM_MEM" -t "$watchdog" -o "$rundir" "${copies[@]}" \
		-- sh /work/bench-guest.sh /work/bench.conf >"$out/vm-run.log" 2>&1 &
	pid=$!
	shown=0
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		show_vm_progress "$rundir/console.log"
	done
	wait "$pid" || rc=$?
	show_vm_progress "$rundir/console.log"
	cp "$rundir/console.log" "$out/" 2>/dev/null || true
	if [ -f "$rundir/results/output" ]; then
		cp "$rundir/results/output" "$out/guest-output.txt"
	fi
	vm_rc=$rc
}

# vm_failed: why the VM run failed, after its raw results were kept
vm_failed() {
	case $vm_rc in
	124) die "the VM did not finish before its watchdog (${watchdog}s); see $out/vm-run.log" ;;
	125) die "the VM returned no results (panic?); see $out/vm-run.log and $out/console.log" ;;
	126) die "kernel splat during the benchmark; see $out/vm-run.log and $out/console.log" ;;
	*) die "the benchmark failed in the VM (exit $vm_rc); see $out/guest-output.txt" \
		"and $out/raw/failure.txt" ;;
	esac
}

collect() {
	local tgz=$rundir/results/bench-raw.tgz
	if [ -s "$tgz" ]; then
		mkdir -p "$out/raw"
		tar -xzf "$tgz" -C "$out/raw" || die "cannot unpack $tgz"
	fi
	[ "$vm_rc" -eq 0 ] || vm_failed
	[ -d "$out/raw" ] || die "no raw results ($tgz); see $out/guest-output.txt"
}

report() {
	progress "report: ${out#"$top"/}"
	"$python" scripts/bench-report.py "$out/raw" "$out" || die "the report found errors (above)"
	if [ "$profile" = 1 ]; then
		cat "$out/profile.txt"
	fi
}

# shape N: set what the N-vCPU VM runs. Thread and queue counts are capped
# at N (dev4 becomes dev2 on 2 vCPUs), the shapes after the first run the
# quick workload set unless BENCH_WORKLOADS names one, and the pinned CPU is
# one the VM has.
shape() {
	local c list=()
	cpus=$1
	for c in $all_configs; do
		if [[ $c =~ ^(dev|ring|hp)([0-9]+)$ ]] && [ "${BASH_REMATCH[2]}" -gt "$cpus" ]; then
			c=${BASH_REMATCH[1]}$cpus
		fi
		[[ " ${list[*]} " == *" $c "* ]] || list+=("$c")
	done
	configs=${list[*]}
	workloads=$all_workloads
	if [ "$cpus" != "${shapes%% *}" ] && [ -z "${BENCH_WORKLOADS:-}" ]; then
		workloads=$(words "$QUICK_WORKLOADS")
	fi
	pin_cpu=${BENCH_PIN_CPU:-1}
	[ "$pin_cpu" -lt "$cpus" ] || pin_cpu=$((cpus - 1))
}

main() {
	[ "$#" -eq 0 ] || { sed -n '2,36p' "$0" >&2; exit 2; }
	settings
	check_settings
	check_prereqs
	local base n
	base=$top/build/bench/$tag$(date +%Y%m%d-%H%M%S)
	rundir=$top/build/runs/bench
	mkdir -p "$base"
	progress "building the guest tools (bench/fsmeta.c, bench/roundtrip.c, bench/shm-shim.c)"
	build_tools
	stage_hp
	for n in $shapes; do
		shape "$n"
		out=$base
		[ "$n" = "${shapes%% *}" ] || out=$base/cpus$n
		mkdir -p "$out"
		write_conf "$out/bench.conf"
		run_vm "$out/bench.conf"
		collect
		report
	done
	ln -sfn "$(basename "$base")" "build/bench/${tag}latest"
	progress "done: ${base#"$top"/} (build/bench/${tag}latest): table.txt results.json" \
		"results.csv chart.png$([ "$(wc -w <<<"$shapes")" -gt 1 ] && echo "; cpus<N>/: the other VM shapes")"
}

main "$@"
