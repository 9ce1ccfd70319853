#!/usr/bin/env bash
# Installs the peer tools `make bench` compares pg_migrate with, each only
# when missing, at pinned versions:
#   npm (into bench/.cache/npm, gitignored): dbmate, node-pg-migrate + pg,
#       postgres-migrations + pg
#   apt (Debian): sqitch, libdbd-pg-perl (its PostgreSQL driver), libpq-dev
#       (the one-message floor client), nodejs/npm when there is no npm.
# Prints one line per tool on stderr; a tool that cannot be installed is
# reported, and the bench prints it as "n/a".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${BENCH_CACHE:-$here/.cache}
mkdir -p "$cache"

DBMATE_VERSION=2.36.0
NODE_PG_MIGRATE_VERSION=8.0.4
POSTGRES_MIGRATIONS_VERSION=5.3.0
PG_VERSION=8.13.1

log() { echo "bench peers: $*" >&2; }

apt_missing=()
need_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' || apt_missing+=("$1"); }
[ -f /usr/include/postgresql/libpq-fe.h ] || need_pkg libpq-dev
command -v npm >/dev/null || { need_pkg nodejs; need_pkg npm; }
command -v sqitch >/dev/null || need_pkg sqitch
perl -MDBD::Pg -e1 2>/dev/null || need_pkg libdbd-pg-perl
if [ ${#apt_missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -eq 0 ]; then
		log "apt-get install -y ${apt_missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${apt_missing[@]}" >"$cache/apt.log" 2>&1 ||
			{ apt-get update >>"$cache/apt.log" 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${apt_missing[@]}" >>"$cache/apt.log" 2>&1; } ||
			log "apt-get install failed (see $cache/apt.log)"
	else
		log "missing ${apt_missing[*]} (run as root to install them)"
	fi
fi

npmdir=$cache/npm
want="dbmate@$DBMATE_VERSION node-pg-migrate@$NODE_PG_MIGRATE_VERSION postgres-migrations@$POSTGRES_MIGRATIONS_VERSION pg@$PG_VERSION"
if command -v npm >/dev/null && [ "$(cat "$npmdir/.installed" 2>/dev/null)" != "$want" ]; then
	mkdir -p "$npmdir"
	[ -f "$npmdir/package.json" ] || echo '{"name":"pg-migrate-bench-peers","private":true}' >"$npmdir/package.json"
	log "npm install $want"
	if (cd "$npmdir" && npm install --no-audit --no-fund --save-exact $want >"$cache/npm.log" 2>&1); then
		echo "$want" >"$npmdir/.installed"
	else
		log "npm install failed (see $cache/npm.log)"
	fi
fi
exit 0
