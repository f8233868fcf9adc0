#!/usr/bin/env bash
# Write the kernel tree's commits above the base back into series/ as a
# numbered git format-patch series with a cover letter and base-commit.
# The cover letter text is the branch description (git branch --edit-description).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
tree=$top/build/linux
[ -d "$tree/.git" ] || { echo "export-series: no tree at $tree; run 'make tree'" >&2; exit 1; }
cd "$tree"
[ "$(git symbolic-ref --short HEAD)" = fuse-uring ] ||
	{ echo "export-series: check out the fuse-uring branch in $tree first" >&2; exit 1; }
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	{ echo "export-series: $tree has uncommitted changes; commit or stash them" >&2; exit 1; }
if git log --format=%s base..HEAD | grep -qE '^(fixup|squash|amend)!'; then
	echo "export-series: squash the fixup! commits first (git rebase -i --autosquash base)" >&2
	exit 1
fi
n=$(git rev-list --count base..HEAD)
[ "$n" -gt 0 ] || { echo "export-series: no commits above base" >&2; exit 1; }
git config branch.fuse-uring.description >/dev/null ||
	{ echo "export-series: no cover letter text; run 'git branch --edit-description' in $tree" >&2; exit 1; }
# git am --committer-date-is-author-date recreates the commits in make-tree.sh;
# give the tree's commits the same committer dates, so that a tree made from
# series/ has the very same commit ids.
if git log --format='%ad %cd' --date=raw base..HEAD | awk '$1 != $3 { d = 1 } END { exit !d }'; then
	FILTER_BRANCH_SQUELCH_WARNING=1 git filter-branch -f \
		--env-filter 'export GIT_COMMITTER_DATE="$GIT_AUTHOR_DATE"' base..HEAD >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git format-patch -q -o "$tmp" --cover-letter --cover-from-description=subject \
	--base=base --no-signature --subject-prefix=PATCH base..HEAD
rm -f "$top"/series/*.patch
mkdir -p "$top/series"
cp "$tmp"/*.patch "$top/series/"
# The tree now holds exactly series/: make-tree.sh --if-stale keeps it.
git config fuse.serieshash "$(cat "$top"/series/*.patch | sha1sum | cut -d' ' -f1)"
git config fuse.appliedhead "$(git rev-parse HEAD)"
echo "export-series: wrote $n patches + cover letter to series/"
