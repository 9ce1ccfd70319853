# pg_migrate: PGXS build.  `make test` sets up and runs every test;
# `make demo` shows the todo example applied.

EXTENSION = pg_migrate
MODULE_big = pg_migrate
# Every .c file under src/ is part of the module.
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

DATA = pg_migrate--1.0.sql pg_migrate--1.0--1.1.sql
PGFILEDESC = "pg_migrate - apply schema migrations inside the server"

# First creates the extension, last drops it.
REGRESS = setup apply_todo dollar_quotes failure target_and_rerun bad_names bad_files drift safety \
	empty_and_zeros adopt_schema_migrations statements privileges update_1_1 security_tracking lint_rules lint_trace lint_apply \
	track_inflight track_table batch \
	format_detect format_sqlx format_dbmate format_goose format_flyway format_diesel format_prisma \
	format_drizzle format_atlas transaction_noops exec_parsed caught_failure \
	track_sqlx track_goose track_dbmate track_flyway track_diesel track_prisma track_drizzle \
	lifecycle_down lifecycle_to lifecycle_baseline lifecycle_dry_run format_argument \
	flyway_versions flyway_repeatable teardown
REGRESS_OPTS = --temp-instance=./tmp_regress --temp-config=test/regress.conf
TAP_TESTS = 1

# Warnings as errors only where the compiler is known (make test, CI:
# PGM_WERROR=1); a user's newer compiler must not break `make install`.
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wno-sign-compare -Wno-cast-function-type $(if $(PGM_WERROR),-Werror)
EXTRA_CLEAN = src/*.o src/*.bc tmp_regress tmp_check results regression.diffs regression.out \
	test/unit/test_names test/unit/test_formats

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
# Without PGXS `test` would be the first target, and test/run.sh runs make.
ifeq ($(PGXS),)
$(error $(PG_CONFIG) --pgxs failed: install postgresql-server-dev-15, or set PG_CONFIG)
endif
include $(PGXS)

.PHONY: test demo unit bench fuzz

# Everything: dependencies, build, install, unit tests, pg_regress, TAP.
test:
	bash test/run.sh

demo:
	bash examples/demo.sh

# Speed and memory against the floors and the peer tools (bench/run.sh:
# BENCH_REPS, BENCH_BIG=0 for a short run, PGBIN); writes bench/results.md.
bench:
	PG_CONFIG=$(PG_CONFIG) bash bench/run.sh

# libFuzzer over the plain-C parsers, for FUZZ_SECONDS (default 60) each.
fuzz:
	bash test/fuzz/run.sh

unit: test/unit/test_names test/unit/test_formats
	test/unit/test_names
	test/unit/test_formats

test/unit/test_names: test/unit/test_names.c src/format_golang.c src/textpos.c src/directives.c
	$(CC) -Wall -Wextra -Werror -O1 -g -Isrc -o $@ $^

# The plain-C readers of other tools' folders (no server headers).
PGM_FORMAT_READERS = src/format_golang.c src/format_text.c src/format_sqlx.c \
	src/format_dbmate.c src/format_goose.c src/format_flyway.c src/format_diesel.c \
	src/format_prisma.c src/format_drizzle.c src/format_atlas.c src/format_sha256.c \
	src/flyway_version.c
test/unit/test_formats: test/unit/test_formats.c $(PGM_FORMAT_READERS) src/format_text.h src/format_golang.h \
	src/flyway_version.h
	$(CC) -Wall -Wextra -Werror -O1 -g -Isrc -o $@ test/unit/test_formats.c $(PGM_FORMAT_READERS)

# PGXS tracks no header dependencies here: rebuild everything when one changes.
$(OBJS): $(wildcard src/*.h)
