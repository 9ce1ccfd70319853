#!/usr/bin/env bash
# `make bench`: speed and memory of pg_migrate against `psql -1` and a naive
# PL/pgSQL loop, in one throwaway cluster.
#
# PostgreSQL refuses to run as root.  As root, the cluster belongs to the
# postgres OS user and lives in a fresh temporary directory that user owns;
# clients connect over its Unix socket as database user postgres (trust
# authentication), so timed commands do not pay for runuser.  As anyone
# else, everything runs as the current user.  The cluster is stopped and the
# directory removed on exit, whatever happens.
#
# Results: a Markdown report on stdout and in bench/out/results.md.
# Environment: PG_BINDIR (default /usr/lib/postgresql/15/bin),
# BENCH_REPS (timed repetitions per contender, default 3),
# BENCH_NOOP_CALLS (measured no-op / status calls, default 25),
# BENCH_TMPDIR (where the throwaway cluster lives, default /tmp; e.g.
# /dev/shm to take the file system's file-creation cost out of the numbers).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
out=$here/out

die() { echo "bench: $*" >&2; exit 1; }

for prog in initdb pg_ctl psql pg_config; do
	[ -x "$bindir/$prog" ] || die "$bindir/$prog not found; install postgresql-15 or set PG_BINDIR"
done
command -v python3 >/dev/null || die "python3 is required"
pkglibdir=$("$bindir/pg_config" --pkglibdir)
sharedir=$("$bindir/pg_config" --sharedir)
[ -f "$pkglibdir/pg_migrate.so" ] && [ -f "$sharedir/extension/pg_migrate.control" ] ||
	die "pg_migrate is not installed in $pkglibdir; run 'make install' first"

if [ "$(id -u)" -eq 0 ]; then
	id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' OS user to own the cluster"
	owner=postgres
	as_owner=(runuser -u postgres --)
else
	owner=$(id -un)
	as_owner=()
fi

# /dev/shm by default: file creation on the machine disk is noisy enough to
# swamp the differences between contenders (see README, Benchmark).
default_tmp=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && default_tmp=/dev/shm
tmpbase=${BENCH_TMPDIR:-$default_tmp}
[ -d "$tmpbase" ] || die "BENCH_TMPDIR $tmpbase is not a directory"
work=$(mktemp -d "$tmpbase/pg_migrate_bench.XXXXXX")
started=0
cleanup() {
	local status=$?
	trap - EXIT INT TERM
	if [ "$started" -eq 1 ]; then
		if [ "$status" -ne 0 ] && [ -f "$work/server.log" ]; then
			echo "---- server log (last 40 lines)" >&2
			tail -n 40 "$work/server.log" >&2 || true
		fi
		"${as_owner[@]}" "$bindir/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 ||
			"${as_owner[@]}" "$bindir/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Workloads first, then hand the whole directory to the cluster's owner:
# the server reads the migration folders as that user.
echo "bench: generating workloads in $work/workloads" >&2
python3 "$here/bench.py" generate --dir "$work/workloads"
[ "$owner" = "$(id -un)" ] || chown -R "$owner:" "$work"
chmod 700 "$work"
cd "$work"	# the owner may not be able to enter the caller's directory

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

echo "bench: creating a cluster in $work/data (port $port, socket in $work)" >&2
"${as_owner[@]}" "$bindir/initdb" -D "$work/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
	>"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; die "initdb failed"; }
# Benchmark settings: no TCP, no autovacuum to race with, and fsync off so
# that the shared disk adds less noise (every contender commits once).
cat >>"$work/data/postgresql.conf" <<EOF
listen_addresses = ''
port = $port
unix_socket_directories = '$work'
autovacuum = off
fsync = off
max_locks_per_transaction = 256
EOF
"${as_owner[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/server.log" -w -t 60 start >/dev/null ||
	{ tail -n 40 "$work/server.log" >&2; die "the server did not start"; }
started=1

# What is measured: the installed build, and the tree it was probably built from.
build="pg_migrate.so installed $(date -u -r "$pkglibdir/pg_migrate.so" '+%Y-%m-%d %H:%M:%S UTC')"
top=$(cd "$here/.." && pwd)
if rev=$(git -C "$top" rev-parse --short HEAD 2>/dev/null); then
	[ -z "$(git -C "$top" status --porcelain --untracked-files=no 2>/dev/null)" ] || rev="$rev + uncommitted changes"
	build="$build; tree at $rev"
fi

mkdir -p "$out"
python3 "$here/bench.py" run \
	--psql "$bindir/psql" --host "$work" --port "$port" --user postgres \
	--workloads "$work/workloads" --loop-sql "$here/naive_loop.sql" \
	--reps "${BENCH_REPS:-3}" --noop-calls "${BENCH_NOOP_CALLS:-25}" \
	--build "$build" \
	--fs "$(df -PT "$work" | awk 'NR == 2 { print $2 " (" $7 ")" }')" \
	--out "$out/results.md"
