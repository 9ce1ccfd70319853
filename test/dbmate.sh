#!/usr/bin/env bash
# Prints the path of the real dbmate binary that the interop test
# (t/060_dbmate_interop.pl) runs, installing it from npm when it is not yet
# in the cache.  The npm package "dbmate" ships dbmate's prebuilt static
# binary in a platform package (@dbmate/linux-x64, @dbmate/linux-arm64...,
# one of its optionalDependencies): node_modules/@dbmate/<platform>/bin/dbmate.
#
# The cache lives outside the repository and is reused when it already
# holds the pinned version, so only the first run needs the network:
#   $PGM_NPM_CACHE, else /var/cache/pg_migrate-test/npm when it can be
#   written (or already holds the binary), else ~/.cache/pg_migrate-test/npm.
# Exits non-zero with the reason on stderr when npm or the network is
# unavailable; the test then skips and says why.
set -euo pipefail

version=${PGM_DBMATE_VERSION:-2.36.0}

find_binary()
{
	local bin
	for bin in "$1"/node_modules/@dbmate/*/bin/dbmate; do
		[ -x "$bin" ] || continue
		"$bin" --version 2>/dev/null | grep -qx "dbmate version $version" || continue
		echo "$bin"
		return 0
	done
	return 1
}

if [ -n "${PGM_NPM_CACHE:-}" ]; then
	cache=$PGM_NPM_CACHE
elif find_binary /var/cache/pg_migrate-test/npm >/dev/null 2>&1 ||
	{ mkdir -p /var/cache/pg_migrate-test/npm 2>/dev/null &&
	  [ -w /var/cache/pg_migrate-test/npm ]; }; then
	cache=/var/cache/pg_migrate-test/npm
else
	cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/pg_migrate-test/npm
fi

if find_binary "$cache"; then
	exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
	echo "npm is not installed (test/deps.sh installs it)" >&2
	exit 1
fi
if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
	echo "cannot write the npm cache directory $cache (set PGM_NPM_CACHE)" >&2
	exit 1
fi

# npm's own download cache goes into ours too: $HOME may not be writable.
log=$cache/install.log
if ! timeout 300 npm install --prefix "$cache" --no-save --no-audit --no-fund \
	--no-package-lock --fetch-retries=1 --fetch-timeout=30000 \
	--cache "$cache/.npm" "dbmate@$version" >"$log" 2>&1; then
	echo "npm install dbmate@$version failed (no network?); see $log:" >&2
	tail -n 5 "$log" >&2
	exit 1
fi
if ! find_binary "$cache"; then
	echo "npm installed dbmate@$version but no binary for this platform ($(uname -sm)) in $cache/node_modules/@dbmate" >&2
	exit 1
fi
