#!/usr/bin/env bash
# Install every Debian package the project needs (idempotent).
# The kernel base comes from bookworm-backports (linux-source-6.12).
set -euo pipefail

PKGS=(
	linux-source-6.12
	build-essential bc bison flex libelf-dev libssl-dev dwarves
	ccache cpio xz-utils rsync git
	qemu-system-x86 busybox-static
	liburing-dev fio
	sparse shellcheck python3-docutils python3-ply
	python3-matplotlib
	meson ninja-build pkg-config g++ dpkg-dev libnuma-dev
	linux-perf
)

backports=/etc/apt/sources.list.d/bookworm-backports.list
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	echo "install-deps: enabling bookworm-backports in $backports"
	echo 'deb http://deb.debian.org/debian bookworm-backports main' >"$backports"
	need_update=1
fi

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root: $0" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if [ -n "${need_update:-}" ] || ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
	apt-get update -q
	apt-get install -y -q --no-install-recommends -t bookworm-backports linux-source-6.12
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
