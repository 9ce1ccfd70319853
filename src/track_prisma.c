/*-------------------------------------------------------------------------
 *
 * track_prisma.c
 *	  Prisma Migrate's public._prisma_migrations: one row per migration
 *	  attempt, with the SHA-256 of its migration.sql.
 *
 * Its contract, from prisma/prisma-engines (the schema engine's postgres
 * flavour and its migration persistence, checksum.rs):
 *	 - CREATE TABLE "_prisma_migrations" (id VARCHAR(36) PRIMARY KEY NOT
 *	   NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ,
 *	   migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at
 *	   TIMESTAMPTZ, started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
 *	   applied_steps_count INTEGER NOT NULL DEFAULT 0);
 *	 - before a migration runs: a row (id a random UUID, checksum,
 *	   started_at, migration_name the folder's name); after it:
 *	   applied_steps_count + 1 and finished_at; on failure: logs, and
 *	   finished_at stays NULL, which Prisma then refuses (P3009) until
 *	   "migrate resolve" marks the row rolled back (rolled_back_at);
 *	 - the checksum is the hex SHA-256 of migration.sql (pg_migrate's own
 *	   checksum of it); Prisma also accepts the file with its line endings
 *	   changed (CRLF read as LF and the other way round);
 *	 - applied: finished_at set, rolled_back_at NULL;
 *	 - pg_advisory_lock(72707369).
 * pg_migrate writes the row when the migration begins, in its transaction
 * (the function path) or committed with the in-flight mark (a migration
 * that commits as it goes), and finishes it in the migration's
 * transaction, so the end state is Prisma's.  Running again a migration
 * whose earlier attempt failed marks that attempt rolled back first, as
 * "prisma migrate resolve --rolled-back" would.
 *
 * IDENTIFICATION
 *	  src/track_prisma.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "safe_sql.h"
#include "track_rows.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#define PRISMA_LOCK_ID INT64CONST(72707369)

static const PgmToolTable prisma_table = {
	.tool = "Prisma",
	.schema = "public",
	.relname = "_prisma_migrations",
	.shape = PGM_SHAPE_PRISMA,
	.columns = "id character varying(36), checksum character varying(64), finished_at timestamptz, migration_name character varying(255), logs text, rolled_back_at timestamptz, started_at timestamptz, applied_steps_count integer",
	.create = "CREATE TABLE %1$s (\n"
	"    \"id\"                    VARCHAR(36) PRIMARY KEY NOT NULL,\n"
	"    \"checksum\"              VARCHAR(64) NOT NULL,\n"
	"    \"finished_at\"           TIMESTAMPTZ,\n"
	"    \"migration_name\"        VARCHAR(255) NOT NULL,\n"
	"    \"logs\"                  TEXT,\n"
	"    \"rolled_back_at\"        TIMESTAMPTZ,\n"
	"    \"started_at\"            TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
	"    \"applied_steps_count\"   INTEGER NOT NULL DEFAULT 0\n"
	")",
};

/* The migration's folder: its up file is <folder>/migration.sql. */
static char *
migration_name(const PgmFile *file)
{
	const char *slash = strchr(file->filename, '/');

	return slash ? pnstrdup(file->filename, slash - file->filename) : pstrdup(file->filename);
}

static PgmFile *
file_by_name(const PgmTracked *t, const char *name)
{
	int			i;

	if (t->folder == NULL)
		return NULL;
	for (i = 0; i < t->folder->nfiles; i++)
	{
		PgmFile    *f = &t->folder->files[i];
		size_t		n = strcspn(f->filename, "/");

		if (strncmp(f->filename, name, n) == 0 && name[n] == '\0')
			return f;
	}
	return NULL;
}

static void
prisma_read(PgmTracked *t)
{
	PgmAsOwner	owner;
	uint64		i;

	t->exact = true;
	if (!pgm_rows_select(t, &prisma_table,
						 "SELECT migration_name::pg_catalog.text, checksum::pg_catalog.text, "
						 "finished_at IS NOT NULL, rolled_back_at IS NOT NULL "
						 "FROM %s ORDER BY started_at DESC",
						 "reading Prisma's _prisma_migrations", &owner))
		return;
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *name = SPI_getvalue(tup, desc, 1);
		bool		finished = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));
		bool		rolled_back = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));
		PgmFile    *f;
		int64		version;

		if (name == NULL || rolled_back)
			continue;
		f = file_by_name(t, name);
		if (f != NULL)
			version = f->version;
		else if (!pgm_rows_leading_int(name, &version) || pgm_rows_file(t, version) != NULL)
			continue;
		if (finished)
			pgm_rows_add(t, version, SPI_getvalue(tup, desc, 2));
		else if (!t->dirty || version < t->dirty_version)
		{
			/* started, never finished: failed (or in flight) */
			t->dirty = true;
			t->dirty_version = version;
		}
	}
	pgm_rows_select_end(&owner);
	pgm_rows_finish(t);
}

/* record_migration_started: the row, finished_at NULL; its id */
static char *
insert_started(PgmTracked *t, Oid relid, PgmFile *file, const char *logs)
{
	Oid			types[3] = {TEXTOID, TEXTOID, TEXTOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', logs ? ' ' : 'n'};
	char	   *id;
	PgmAsOwner	owner;
	MemoryContext caller = CurrentMemoryContext;
	int			rc;

	values[0] = CStringGetTextDatum(file->checksum);
	values[1] = CStringGetTextDatum(migration_name(file));
	values[2] = logs ? CStringGetTextDatum(logs) : (Datum) 0;
	pgm_as_owner_begin(relid, &owner);
	rc = SPI_execute_with_args(psprintf("INSERT INTO %s (id, checksum, started_at, migration_name, logs) "
										"VALUES (pg_catalog.gen_random_uuid()::pg_catalog.text, $1, "
										"pg_catalog.clock_timestamp(), $2, $3) RETURNING id::pg_catalog.text",
										pgm_rows_qualified(&prisma_table)),
							   3, types, values, nulls, false, 0);
	pgm_spi_check(rc, SPI_OK_INSERT_RETURNING, "writing Prisma's _prisma_migrations");
	MemoryContextSwitchTo(caller);
	id = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	pgm_as_owner_end(&owner);
	MemoryContextSwitchTo(caller);
	return id;
}

static void
prisma_write_begin(PgmTracked *t, int64 version)
{
	Oid			relid = pgm_rows_ensure(t, &prisma_table);
	PgmFile    *file = pgm_rows_file(t, version);
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	PgmAsOwner	owner;
	MemoryContext caller = CurrentMemoryContext;
	int			rc;

	if (file == NULL)
		return;
	values[0] = CStringGetTextDatum(migration_name(file));
	if (t->dirty_in_flight && t->dirty && t->dirty_version == version)
	{
		/* our own attempt, committed in flight and resumed: its row */
		pgm_as_owner_begin(relid, &owner);
		rc = SPI_execute_with_args(psprintf("SELECT id::pg_catalog.text FROM %s "
											"WHERE migration_name OPERATOR(pg_catalog.=) $1 "
											"AND finished_at IS NULL AND rolled_back_at IS NULL "
											"ORDER BY started_at DESC LIMIT 1",
											pgm_rows_qualified(&prisma_table)),
								   1, types, values, NULL, false, 0);
		pgm_spi_check(rc, SPI_OK_SELECT, "reading Prisma's _prisma_migrations");
		MemoryContextSwitchTo(caller);
		t->in_flight_id = SPI_processed == 1 ?
			SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1) : NULL;
		pgm_as_owner_end(&owner);
		MemoryContextSwitchTo(caller);
		if (t->in_flight_id != NULL)
			return;
	}

	/* an earlier attempt that failed: rolled back, as migrate resolve does */
	rc = pgm_rows_exec(relid,
					   psprintf("UPDATE %s SET rolled_back_at = pg_catalog.now() "
								"WHERE migration_name OPERATOR(pg_catalog.=) $1 "
								"AND finished_at IS NULL AND rolled_back_at IS NULL",
								pgm_rows_qualified(&prisma_table)),
					   1, types, values, NULL);
	pgm_spi_check(rc, SPI_OK_UPDATE, "writing Prisma's _prisma_migrations");
	t->in_flight_id = insert_started(t, relid, file, NULL);
}

static void
prisma_write_nothing(PgmTracked *t)
{
}

/* record_successful_step and record_migration_finished */
static void
prisma_write_row(PgmTracked *t, PgmFile *file, int64 elapsed_us)
{
	Oid			relid = pgm_rows_ensure(t, &prisma_table);
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	int			rc;

	if (t->in_flight_id == NULL)
		t->in_flight_id = insert_started(t, relid, file, NULL);
	values[0] = CStringGetTextDatum(t->in_flight_id);
	rc = pgm_rows_exec(relid,
					   psprintf("UPDATE %s SET applied_steps_count = applied_steps_count OPERATOR(pg_catalog.+) 1, "
								"finished_at = pg_catalog.clock_timestamp() "
								"WHERE id OPERATOR(pg_catalog.=) $1",
								pgm_rows_qualified(&prisma_table)),
					   1, types, values, NULL);
	pgm_spi_check(rc, SPI_OK_UPDATE, "writing Prisma's _prisma_migrations");
}

/* record_failed_step: the attempt's row says why, finished_at NULL */
static void
prisma_write_failed(PgmTracked *t, int64 version)
{
	PgmFile    *file = pgm_rows_file(t, version);
	const char *logs = t->error ? t->error :
		"the migration failed under pg_migrate; its error is in pgmigrate.history";
	Oid			relid;
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	int			rc;

	if (file == NULL)
		return;
	relid = pgm_rows_ensure(t, &prisma_table);
	if (t->in_flight_steps && t->in_flight_id != NULL)
	{
		/* the row committed with the in-flight mark */
		values[0] = CStringGetTextDatum(logs);
		values[1] = CStringGetTextDatum(t->in_flight_id);
		rc = pgm_rows_exec(relid,
						   psprintf("UPDATE %s SET logs = $1 WHERE id OPERATOR(pg_catalog.=) $2",
									pgm_rows_qualified(&prisma_table)),
						   2, types, values, NULL);
		pgm_spi_check(rc, SPI_OK_UPDATE, "writing Prisma's _prisma_migrations");
	}
	else
		(void) insert_started(t, relid, file, logs);
}

static bool
prisma_file_matches(PgmTracked *t, PgmFile *file, const char *recorded)
{
	size_t		len;
	char	   *raw;
	char	   *other;
	size_t		n = 0;
	size_t		i;

	if (strcmp(file->checksum, recorded) == 0)
		return true;
	/* script.replace("\r\n", "\n"), then script.replace('\n', "\r\n") */
	raw = pgm_rows_raw_bytes(t, file, &len);
	other = palloc(len * 2 + 1);
	for (i = 0; i < len; i++)
		if (!(raw[i] == '\r' && i + 1 < len && raw[i + 1] == '\n'))
			other[n++] = raw[i];
	if (strcmp(pgm_rows_sha_hex(PG_SHA256, other, n), recorded) == 0)
		return true;
	n = 0;
	for (i = 0; i < len; i++)
	{
		if (raw[i] == '\n')
			other[n++] = '\r';
		other[n++] = raw[i];
	}
	return strcmp(pgm_rows_sha_hex(PG_SHA256, other, n), recorded) == 0;
}

static int64
prisma_lock_key(void)
{
	return PRISMA_LOCK_ID;
}

const PgmTracker pgm_tracker_prisma = {
	.name = "Prisma",
	.table = "public._prisma_migrations",
	.read = prisma_read,
	.write_begin = prisma_write_begin,
	.write_restore = prisma_write_nothing,
	.write_failed = prisma_write_failed,
	.lock_key = prisma_lock_key,
	.per_migration = true,
	.write_row = prisma_write_row,
	.file_matches = prisma_file_matches,
};
