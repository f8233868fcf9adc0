#!/usr/bin/env bash
# Create build/linux: Debian's linux-source-6.12 as the root commit, then
# series/*.patch applied with git am. Re-running recreates the tree.
# usage: make-tree.sh [--if-stale]
#   --if-stale: keep an existing tree that already holds series/ as it is, or
#   that has local commits or changes (a developer's work in progress).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
tree=${TREE:-$top/build/linux}
series_hash=$(cat series/*.patch 2>/dev/null | sha1sum | cut -d' ' -f1)
if [ "${1:-}" = --if-stale ] && [ -d "$tree/.git" ]; then
	g=(git -C "$tree")
	if [ "$("${g[@]}" config fuse.serieshash || true)" = "$series_hash" ]; then
		echo "make-tree: $tree is up to date with series/"
		exit 0
	fi
	if [ "$("${g[@]}" rev-parse HEAD)" != "$("${g[@]}" config fuse.appliedhead || true)" ] ||
		[ -n "$("${g[@]}" status --porcelain --untracked-files=no)" ]; then
		echo "make-tree: WARNING: series/ changed but $tree has local work; using the tree as it is" >&2
		echo "make-tree: export it (make export) or recreate it (make tree) to sync" >&2
		exit 0
	fi
fi
tarball=/usr/src/linux-source-6.12.tar.xz
start=$SECONDS

[ -f "$tarball" ] || { echo "make-tree: $tarball missing; run scripts/install-deps.sh" >&2; exit 1; }

# Identical identity and dates on every machine: the base commit id is reproducible.
export GIT_AUTHOR_NAME="Debian linux-source" GIT_AUTHOR_EMAIL="linux-source@localhost"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
export GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z"

pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
if [ -d "$tree/.git" ] && [ "$(git -C "$tree" config fuse.basever || true)" = "$pkgver" ]; then
	echo "make-tree: reusing base $pkgver in $tree"
	git -C "$tree" am --abort >/dev/null 2>&1 || true
	if [ "$(git -C "$tree" rev-parse -q --verify fuse-uring || true)" != "$(git -C "$tree" config fuse.appliedhead || true)" ]; then
		bak=backup-$(date +%Y%m%d-%H%M%S)
		git -C "$tree" branch -f "$bak" fuse-uring 2>/dev/null &&
			echo "make-tree: local commits kept in branch $bak"
	fi
	git -C "$tree" checkout -q -f base
	git -C "$tree" clean -qfdx -e '/.ccache'
else
	echo "make-tree: extracting $tarball into $tree"
	rm -rf "$tree"
	mkdir -p "$tree"
	tar -xJf "$tarball" -C "$tree" --strip-components=1
	cd "$tree"
	git init -q -b base
	git config core.autocrlf false
	git config fuse.basever "$pkgver"
	git add -A -f .
	git commit -q -m "Linux $(make -s kernelversion) (Debian linux-source-6.12 $pkgver)"
	cd "$top"
fi
cd "$tree"
unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
unset GIT_AUTHOR_DATE GIT_COMMITTER_DATE
git config user.name >/dev/null || git config user.name "FUSE io_uring developer"
git config user.email >/dev/null || git config user.email "fuse-uring@localhost"
git checkout -q -B fuse-uring base
echo "make-tree: base $(git rev-parse --short base): Linux $(make -s kernelversion), Debian $pkgver"

shopt -s nullglob
patches=("$top"/series/[0-9][0-9][0-9][0-9]-*.patch)
desc=""
for p in "${patches[@]}"; do
	case "$(basename "$p")" in
	0000-*)
		# The cover letter's subject and blurb become the branch description,
		# which export-series.sh writes back.
		desc=$(awk '/^Subject: /{sub(/^Subject: (\[[^]]*\] )?/,""); print; print ""; next}
			hdr_done && /^[^ ].* \([0-9]+\):$/ {exit}
			hdr_done {print}
			/^$/ && !hdr_done {hdr_done=1}' "$p")
		;;
	*)
		if ! git am -q --committer-date-is-author-date "$p"; then
			git am --abort || true
			echo "make-tree: FAILED to apply $(basename "$p") on $(git log -1 --format=%s)" >&2
			echo "make-tree: fix the patch in series/ (or rebase in the tree) and re-run" >&2
			exit 1
		fi
		;;
	esac
done
[ -z "$desc" ] || git config branch.fuse-uring.description "$desc"
git config fuse.serieshash "$series_hash"
git config fuse.appliedhead "$(git rev-parse HEAD)"
echo "make-tree: applied $(git rev-list --count base..HEAD) patches in $((SECONDS - start))s; HEAD $(git log -1 --format='%h %s')"
