#!/usr/bin/env bash
# `make demo`: install what is missing, build and install pg_migrate, start a
# throwaway PostgreSQL 15 cluster with pg_migrate preloaded, create the
# extension, apply examples/todo/migrations and print migrate_status(); then
# let the background worker pick up a new file, and show a broken one; then
# CALL migrate_run on a folder with an index built concurrently.
#
# KEEP=1 leaves the cluster running and prints how to connect to it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
bin=$("$PG_CONFIG" --bindir)

bash "$top/test/deps.sh"
make -C "$top" -s PG_CONFIG="$PG_CONFIG"
make -C "$top" -s PG_CONFIG="$PG_CONFIG" install

work=$(mktemp -d /tmp/pg_migrate_demo.XXXXXX)
if [ "$(id -u)" -eq 0 ]; then
	chown postgres: "$work"
	as_pg=(runuser -u postgres --)
else
	as_pg=()
fi
port=$(( 20000 + RANDOM % 20000 ))
stop() {
	"${as_pg[@]}" "$bin/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
[ "${KEEP:-0}" = 1 ] || trap stop EXIT

# the server reads the folder, so give it a copy it can read
"${as_pg[@]}" cp -r "$top/examples/todo/migrations" "$work/migrations"
"${as_pg[@]}" "$bin/initdb" -D "$work/data" -A trust -U postgres >/dev/null
"${as_pg[@]}" "$bin/pg_ctl" -D "$work/data" -l "$work/server.log" -w \
	-o "-p $port -k $work -c listen_addresses='' -c shared_preload_libraries=pg_migrate -c pg_migrate.database=todo -c pg_migrate.role=postgres -c pg_migrate.interval=1" \
	start >/dev/null

psql() { "${as_pg[@]}" "$bin/psql" -X -h "$work" -p "$port" -U postgres "$@"; }

echo "== CREATE EXTENSION pg_migrate; apply the todo example"
psql -d postgres -q -c "CREATE DATABASE todo"
psql -d todo -v ON_ERROR_STOP=1 -e <<SQL
CREATE EXTENSION pg_migrate;
SELECT * FROM migrate_apply('$work/migrations');
SELECT version, name, state, applied_at, round(duration_ms::numeric, 2) AS ms,
       left(checksum, 16) AS checksum
FROM migrate_status();
TABLE schema_migrations;
SQL

echo "== the background worker watches the folder: a new file arrives"
psql -d todo -q -c "ALTER SYSTEM SET pg_migrate.directory = '$work/migrations'" -c "SELECT pg_reload_conf()" >/dev/null
"${as_pg[@]}" sh -c "printf '%s\n' 'ALTER TABLE todo_item ADD COLUMN priority int NOT NULL DEFAULT 0;' > '$work/migrations/3_add_priority.up.sql'"
for _ in $(seq 1 50); do
	[ "$(psql -d todo -Atc "SELECT count(*) FROM pgmigrate.history WHERE version = 3")" = 1 ] && break
	sleep 0.2
done
grep "pg_migrate: applied migration" "$work/server.log" || true
psql -d todo -e -c "SELECT s.version, s.name, s.state, h.applied_by FROM migrate_status() s JOIN pgmigrate.history h USING (version) ORDER BY s.version"

echo "== a broken file: its syntax is fine (migrate_validate), running it is not: refused with file and line, recorded as failed by the worker"
"${as_pg[@]}" sh -c "printf '%s\n' '-- a typo in the column name' 'CREATE INDEX todo_item_title_idx ON todo_item (titel);' > '$work/migrations/4_index_title.up.sql'"
psql -d todo -e -c "SELECT * FROM migrate_validate('$work/migrations')"
psql -d todo -e -c "SELECT * FROM migrate_apply('$work/migrations')" || true
for _ in $(seq 1 50); do
	[ "$(psql -d todo -Atc "SELECT count(*) FROM pgmigrate.history WHERE version = 4")" = 1 ] && break
	sleep 0.2
done
psql -d todo -e -c "SELECT version, name, state FROM migrate_status()" -c "TABLE schema_migrations"

echo "== a deploy script: CALL migrate_run, one commit per migration, CREATE INDEX CONCURRENTLY included"
"${as_pg[@]}" cp -r "$top/examples/shop/migrations" "$work/shop"
psql -d postgres -q -c "CREATE DATABASE shop"
psql -d shop -q -c "CREATE EXTENSION pg_migrate"
echo "\$ psql -v ON_ERROR_STOP=1 -c \"CALL migrate_run('$work/shop')\""
psql -d shop -v ON_ERROR_STOP=1 -c "CALL migrate_run('$work/shop')"
psql -d shop -e -c "SELECT version, name, state, round(duration_ms::numeric, 2) AS ms FROM migrate_status()" \
	-c "SELECT indexrelid::regclass AS index, indisvalid FROM pg_index WHERE indrelid = 'orders'::regclass"

if [ "${KEEP:-0}" = 1 ]; then
	echo "== the cluster is still running: $bin/psql -h $work -p $port -U postgres todo"
fi
