#!/usr/bin/env bash
# Review checks of the series: checkpatch --strict on every patch, every
# kernel patch builds fs/fuse with the option on and off, W=1 and sparse add
# no warnings in fs/fuse, kernel-doc is clean, the rst document parses,
# and shellcheck on the harness. Prints one line per check; exits 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
tree=$top/build/linux
obj_on=$top/build/obj/normal
obj_off=$top/build/obj/nouring
export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1
mk=(make -s -C "$tree" CC="ccache gcc" -j"$(nproc)")
failed=0
cp_result=()  # checkpatch result of each patch, in series order
report() { # report NAME STATUS DETAIL
	printf '%-44s %s %s\n' "$1" "$2" "${3:-}"
	[ "$2" = ok ] || failed=1
}

[ -d "$tree/.git" ] || { echo "lint: no tree; run 'make tree'" >&2; exit 1; }
[ -f "$obj_on/.config" ] || { echo "lint: no $obj_on; run 'make kernel'" >&2; exit 1; }
[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
	{ echo "lint: $tree has uncommitted changes" >&2; exit 1; }

# 1. checkpatch --strict on every patch of series/. A changelog paragraph
# that mentions checkpatch.pl justifies the message types it names as
# "(TYPE)"; only those are ignored.
for p in series/0*.patch; do
	case $p in */0000-*) continue ;; esac
	ignore=$(sed -n '/^Subject:/,/^---$/p' "$p" |
		awk 'BEGIN { RS = "" } /checkpatch\.pl/' |
		grep -oE '\([A-Z_]{4,}\)' | tr -d '()' | paste -sd, - || true)
	out=$(cd "$tree"; scripts/checkpatch.pl --strict --quiet ${ignore:+--ignore "$ignore"} "$top/$p" 2>&1 || true)
	n=$(grep -cE '^(ERROR|WARNING|CHECK):' <<<"$out" || true)
	name="checkpatch $(basename "$p" | cut -c1-30)"
	if [ "$n" -eq 0 ]; then report "$name" ok "${ignore:+(justified: $ignore)}"
	else report "$name" FAIL "$n issues"; echo "$out" | head -20; fi
	cp_result+=("$([ "$n" -eq 0 ] && echo "0 issues${ignore:+ (justified: $ignore)}" || echo "$n issues")")
done

# 2. every patch builds fs/fuse, option on (normal config) and off
# (the option-off configuration follows the normal one: regenerated when that changed)
if ! cmp -s "$obj_on/.config" "$obj_off/.config.on" 2>/dev/null; then
	mkdir -p "$obj_off"
	sed 's/^CONFIG_FUSE_IO_URING=y/# CONFIG_FUSE_IO_URING is not set/' "$obj_on/.config" >"$obj_off/.config"
	"${mk[@]}" O="$obj_off" olddefconfig prepare >/dev/null
	cp "$obj_on/.config" "$obj_off/.config.on"
fi
head=$(git -C "$tree" rev-parse --abbrev-ref HEAD)
trap 'git -C "$tree" checkout -q "$head"' EXIT
mkdir -p "$top/build/lint"
table=$top/build/lint/patches.txt
printf '%-3s %-72s %11s  %-8s %-8s %s\n' "#" "patch" "lines +/-" "on W=1" "off W=1" "checkpatch --strict" >"$table"
i=0
for c in $(git -C "$tree" rev-list --reverse base..HEAD); do
	subject=$(git -C "$tree" log -1 --format=%s "$c")
	git -C "$tree" checkout -q "$c"
	built=()
	for o in "$obj_on" "$obj_off"; do
		if ! log=$("${mk[@]}" O="$o" W=1 fs/fuse/ 2>&1) || grep -q 'warning:' <<<"$log"; then
			report "build ${o##*/}: ${subject:0:40}" FAIL; echo "$log" | grep -E 'error|warning' | head
			built+=(no)
		else
			built+=(yes)
		fi
	done
	lines=$(git -C "$tree" show --numstat --format= "$c" | awk '{ a += $1; d += $2 } END { printf "+%d/-%d", a, d }')
	printf '%-3s %-72s %11s  %-8s %-8s %s\n' $((i + 1)) "$subject" "$lines" "${built[@]}" \
		"${cp_result[$i]:-?}" >>"$table"
	i=$((i + 1))
done
git -C "$tree" checkout -q "$head"
trap - EXIT
report "every patch builds fs/fuse (on, off, W=1)" "$([ "$failed" -eq 0 ] && echo ok || echo FAIL)"
cat "$table"

# 3. sparse on the series' fs/fuse code
out=$("${mk[@]}" O="$obj_on" C=2 fs/fuse/dev_uring.o fs/fuse/dev.o fs/fuse/inode.o 2>&1 | grep -E 'dev_uring|warning|error' || true)
if grep -q 'dev_uring.*\(warning\|error\)' <<<"$out"; then
	report "sparse fs/fuse/dev_uring.c" FAIL; echo "$out" | head
else
	report "sparse fs/fuse/dev_uring.c" ok
fi

# 4. kernel-doc: none on the new files; the uapi header adds none to the
# warnings its base version already has (compared without line numbers)
out=$("$tree/scripts/kernel-doc" -none -Wall "$tree/fs/fuse/dev_uring.c" "$tree/fs/fuse/dev_uring_i.h" 2>&1 || true)
if [ -z "$out" ]; then report "kernel-doc dev_uring.c dev_uring_i.h" ok
else report "kernel-doc dev_uring.c dev_uring_i.h" FAIL; echo "$out" | head; fi
kdoc_uapi() { # kdoc_uapi FILE: its kernel-doc warnings without line numbers
	"$tree/scripts/kernel-doc" -none -Wall "$1" 2>&1 | sed -E 's/^[^ ]*:[0-9]+: //' | sort || true
}
git -C "$tree" show base:include/uapi/linux/fuse.h >"$obj_on/fuse-base.h"
out=$(comm -13 <(kdoc_uapi "$obj_on/fuse-base.h") <(kdoc_uapi "$tree/include/uapi/linux/fuse.h"))
if [ -z "$out" ]; then report "kernel-doc include/uapi/linux/fuse.h (new)" ok
else report "kernel-doc include/uapi/linux/fuse.h (new)" FAIL; echo "$out" | head; fi

# 5. the rst document parses (Sphinx's :doc: role registered as plain text)
if out=$(python3 - "$tree/Documentation/filesystems/fuse-io-uring.rst" 2>&1 <<'PY'
import sys
from docutils import nodes
from docutils.core import publish_doctree
from docutils.parsers.rst import roles
roles.register_generic_role('doc', nodes.emphasis)
publish_doctree(open(sys.argv[1]).read(),
		settings_overrides={'report_level': 2, 'halt_level': 2})
PY
); then
	report "rst Documentation/filesystems/fuse-io-uring.rst" ok
else
	report "rst Documentation/filesystems/fuse-io-uring.rst" FAIL; echo "$out" | tail -5
fi

# 6. shellcheck on the harness and the selftests' scripts (vm/*.sh by their
# shebang: the libfuse suite's guest side runs with the host's bash)
if out=$(shellcheck scripts/*.sh .ci/run vm/*.sh 2>&1 && shellcheck -s sh vm/init vm/timeout \
	"$tree"/tools/testing/selftests/fuse/*.sh 2>&1); then
	report "shellcheck harness and selftest scripts" ok
else
	report "shellcheck harness and selftest scripts" FAIL; echo "$out" | head -20
fi

if [ "$failed" -ne 0 ]; then
	echo "lint: FAILED" >&2
	exit 1
fi
echo "lint: all checks passed"
