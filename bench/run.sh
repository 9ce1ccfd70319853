#!/usr/bin/env bash
# `make bench`: pg_migrate against the floors (one Query message, psql -1 -f,
# psql with a transaction per file) and the peer tools (dbmate,
# node-pg-migrate, postgres-migrations, sqitch), in one throwaway cluster.
# Writes bench/results.md and prints it.  See bench/bench.py.
#
# As root, the cluster belongs to the postgres OS user (PostgreSQL refuses
# root); clients connect over its Unix socket with trust authentication.
# The cluster is stopped and its directory removed on exit, whatever happens.
#
# Environment:
#   PG_CONFIG     pg_config of the PostgreSQL whose pg_migrate is measured
#                 (default /usr/lib/postgresql/15/bin/pg_config); the
#                 extension must be installed there
#   PGBIN         client and server programs (default: PG_CONFIG --bindir);
#                 psql is $PGBIN/psql, not Debian's wrapper /usr/bin/psql
#   BENCH_REPS    repetitions per contender and workload (default 5)
#   BENCH_BIG     1 (default): also the 16 MB, 2 MB single-row and 256 MB
#                 files (about 25 more minutes with 5 repetitions, most of it
#                 the 256 MB file); 0: leave them out
#   BENCH_PEERS_ALL  1: run the peers on 10,000 files and 256 MB too (slow)
#   BENCH_WORKER  1 (default): restart with the library preloaded and measure
#                 the idle worker on 10,000 files (adds about a minute)
#   BENCH_IDLE_SECONDS  idle-CPU window (default 30)
#   BENCH_WORKLOADS     comma list, default all (tiny,mix,heavy,big16,single2,big256,tiny10k)
#   BENCH_TMPDIR  where the cluster and corpora live (default /dev/shm when there)
#   BENCH_CACHE   npm packages and the floor client (default bench/.cache)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
# `make` exports PG_CONFIG=pg_config (the Makefile's default): take the real one
case $PG_CONFIG in */*) ;; *) PG_CONFIG=$(command -v "$PG_CONFIG" || echo /usr/lib/postgresql/15/bin/pg_config) ;; esac
PGBIN=${PGBIN:-${PG_BINDIR:-$("$PG_CONFIG" --bindir)}}
cache=${BENCH_CACHE:-$here/.cache}
reps=${BENCH_REPS:-5}
big=${BENCH_BIG:-1}

die() { echo "bench: $*" >&2; exit 1; }

for prog in initdb pg_ctl psql pg_dump; do
	[ -x "$PGBIN/$prog" ] || die "$PGBIN/$prog not found; set PGBIN"
done
command -v python3 >/dev/null || die "python3 is required"
pkglibdir=$("$PG_CONFIG" --pkglibdir)
sharedir=$("$PG_CONFIG" --sharedir)
[ -f "$pkglibdir/pg_migrate.so" ] && [ -f "$sharedir/extension/pg_migrate.control" ] ||
	die "pg_migrate is not installed in $pkglibdir; run 'make install PG_CONFIG=$PG_CONFIG' first"

# Peers and the floor client's libpq-dev, each installed only when missing.
before=$( (dpkg-query -W -f='${Package}\n' 2>/dev/null || true) | sort)
bash "$here/peers.sh"
after=$( (dpkg-query -W -f='${Package}\n' 2>/dev/null || true) | sort)
installed=$(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')
[ -f "$cache/npm/.installed" ] && installed="$installed(npm, $cache/npm: $(cat "$cache/npm/.installed"))"
mkdir -p "$cache"
onemsg=$cache/onemsg
if [ ! -x "$onemsg" ] || [ "$here/onemsg.c" -nt "$onemsg" ]; then
	incdir=$("$PG_CONFIG" --includedir)
	cc -O2 -Wall -Wextra -I"$incdir" -o "$onemsg" "$here/onemsg.c" -L"$("$PG_CONFIG" --libdir)" -lpq ||
		echo "bench: could not build the one-message client (libpq-dev?)" >&2
fi

if [ "$(id -u)" -eq 0 ]; then
	id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' OS user to own the cluster"
	owner=postgres
	as_owner=(runuser -u postgres --)
else
	owner=$(id -un)
	as_owner=()
fi

default_tmp=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && default_tmp=/dev/shm
tmpbase=${BENCH_TMPDIR:-$default_tmp}
work=$(mktemp -d "$tmpbase/pg_migrate_bench.XXXXXX")
mkdir -p "$here/out"
started=0
cleanup() {
	local status=$?
	trap - EXIT INT TERM
	if [ "$started" -eq 1 ]; then
		if [ "$status" -ne 0 ] && [ -f "$work/server.log" ]; then
			echo "---- server log (last 30 lines)" >&2
			tail -n 30 "$work/server.log" >&2 || true
		fi
		"${as_owner[@]}" "$PGBIN/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

workloads=${BENCH_WORKLOADS:-}
if [ -z "$workloads" ]; then
	if [ "$big" = 1 ]; then workloads=tiny,mix,heavy,big16,single2,big256,tiny10k
	else workloads=tiny,mix,heavy,tiny10k; fi
fi
echo "bench: generating $workloads in $work/corpora" >&2
python3 "$here/bench.py" generate --dir "$work/corpora" --big "$big" --only "$workloads" \
	--peers-all "${BENCH_PEERS_ALL:-0}"
[ "$owner" = "$(id -un)" ] || chown -R "$owner:" "$work"
chmod 711 "$work"
cd "$work"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "bench: cluster in $work/data (port $port, socket in $work)" >&2
"${as_owner[@]}" "$PGBIN/initdb" -D "$work/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
	>"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; die "initdb failed"; }
cat >>"$work/data/postgresql.conf" <<EOF
listen_addresses = ''
port = $port
unix_socket_directories = '$work'
autovacuum = off
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = 4GB
checkpoint_timeout = 30min
max_locks_per_transaction = 1024
EOF
"${as_owner[@]}" "$PGBIN/pg_ctl" -D "$work/data" -l "$work/server.log" -w -t 60 start >/dev/null ||
	{ tail -n 30 "$work/server.log" >&2; die "the server did not start"; }
started=1

build="pg_migrate.so installed $(date -u -r "$pkglibdir/pg_migrate.so" '+%Y-%m-%d %H:%M UTC')"
if rev=$(git -C "$here/.." rev-parse --short HEAD 2>/dev/null); then
	[ -z "$(git -C "$here/.." status --porcelain --untracked-files=no -- src 2>/dev/null)" ] || rev="$rev + uncommitted src"
	build="$build, tree at $rev ($(git -C "$here/.." rev-parse --abbrev-ref HEAD 2>/dev/null))"
fi
machine="$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -r)"
fs=$(df -PT "$work" | awk 'NR == 2 { print $2 " (" $7 ")" }')

python3 "$here/bench.py" run --pgbin "$PGBIN" --host "$work" --port "$port" \
	--corpora "$work/corpora" --work "$work" --datadir "$work/data" --logfile "$work/server.log" \
	--onemsg "$onemsg" --cache "$cache" --benchdir "$here" --outdir "$here/out" --owner "$owner" \
	--as-owner "${as_owner[*]}" --workloads "$workloads" --machine "$machine" --fs "$fs" --build "$build" \
	--reps "$reps" --idle-seconds "${BENCH_IDLE_SECONDS:-30}" --worker "${BENCH_WORKER:-1}" \
	--installed "$installed"
