#!/usr/bin/env bash
# `make test`: install what is missing, build, install, then run the unit
# tests, pg_regress (sql/) and TAP (t/) suites.  Warnings are errors here
# (PGM_WERROR=1); an extra build with -DUSE_ASSERT_CHECKING type-checks every
# Assert (Debian's server is built without assertions, so they cannot run).
#
# PostgreSQL refuses to run as root.  As root, the tests run as the
# postgres OS user in a copy of the tree that user owns; as anyone else
# they run in place.  On failure the diffs and server logs are printed.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}

bash "$top/test/deps.sh" || exit 1
make -C "$top" -s PG_CONFIG="$PG_CONFIG" clean
make -C "$top" -s PG_CONFIG="$PG_CONFIG" PGM_WERROR=1 PG_CPPFLAGS=-DUSE_ASSERT_CHECKING || exit 1
make -C "$top" -s PG_CONFIG="$PG_CONFIG" clean
make -C "$top" -s PG_CONFIG="$PG_CONFIG" PGM_WERROR=1 || exit 1
make -C "$top" -s PG_CONFIG="$PG_CONFIG" install || exit 1
make -C "$top" -s PG_CONFIG="$PG_CONFIG" unit || exit 1

if [ "$(id -u)" -eq 0 ]; then
	work=$(mktemp -d /tmp/pg_migrate_test.XXXXXX)
	tar -C "$top" --exclude=.git -cf - . | tar -C "$work" -xf -
	chown -R postgres: "$work"
	chmod 755 "$work"
	run=(runuser -u postgres -- env PATH="$PATH")
else
	work=$top
	run=()
fi

cd "$work" || exit 1
"${run[@]}" make -s PG_CONFIG="$PG_CONFIG" installcheck ${PROVE_TESTS:+PROVE_TESTS="$PROVE_TESTS"}
status=$?

if [ $status -ne 0 ]; then
	echo "==================== pg_migrate: tests failed ===================="
	for f in regression.diffs; do
		[ -s "$f" ] && { echo "---- $f"; cat "$f"; }
	done
	for f in tmp_regress/log/*.log tmp_check/log/*; do
		[ -f "$f" ] && { echo "---- $f (last 80 lines)"; tail -n 80 "$f"; }
	done
	echo "The test tree is kept in $work"
	exit $status
fi
[ "$work" != "$top" ] && rm -rf "$work"
exit 0
