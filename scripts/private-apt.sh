# shellcheck shell=bash
# Sourced: apt-get/apt-cache on a private source list, for packages that are
# only downloaded, never installed (other suites than the system's own).
# Set PAPT_DIR, call papt_setup "URI SUITE" ..., then papt_get/papt_cache.

papt_opts() {
	echo "-o Dir::Etc::SourceList=$PAPT_DIR/sources.list -o Dir::Etc::SourceParts=/dev/null" \
		"-o Dir::State::Lists=$PAPT_DIR/lists -o Dir::Cache=$PAPT_DIR/cache" \
		"-o Dir::State::Status=/dev/null -o APT::Architecture=amd64 -o Debug::NoLocking=1" \
		"-o APT::Sandbox::User=root"
}

papt_get() {
	# shellcheck disable=SC2046 # the options are words
	apt-get $(papt_opts) -q "$@"
}

papt_cache() {
	# shellcheck disable=SC2046
	apt-cache $(papt_opts) "$@"
}

# papt_setup "URI SUITE"...: write the source list (deb and deb-src lines for
# the main component) and read the indexes; returns non-zero when that fails
# (the log is $PAPT_DIR/update.log).
papt_setup() {
	local s
	mkdir -p "$PAPT_DIR/lists/partial" "$PAPT_DIR/cache/archives/partial"
	: >"$PAPT_DIR/sources.list"
	for s in "$@"; do
		echo "deb $s main" >>"$PAPT_DIR/sources.list"
		echo "deb-src $s main" >>"$PAPT_DIR/sources.list"
	done
	papt_get update >"$PAPT_DIR/update.log" 2>&1
}
