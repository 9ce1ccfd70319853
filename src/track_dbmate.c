/*-------------------------------------------------------------------------
 *
 * track_dbmate.c
 *	  dbmate's public.schema_migrations: one row per migration, its
 *	  version as the text of the file name.
 *
 * Its contract, from amacneil/dbmate (pkg/driver/postgres/postgres.go,
 * pkg/dbmate/db.go):
 *	 - create table if not exists schema_migrations (version varchar
 *	   primary key), before anything runs (in the first schema of the
 *	   URL's search_path, else current_schema(): public by default).
 *	   dbmate 2.36.0 (what t/060_dbmate_interop.pl runs) gives the
 *	   column no length; older releases wrote varchar(255), and tables
 *	   they created are dbmate's too (track_recognize.c looks at the
 *	   type, not its length);
 *	 - after a migration runs, in its transaction (unless transaction:false):
 *	   insert into schema_migrations (version) values ($1), the version
 *	   being the digits before the first "_" of the file name, as written
 *	   (dbmate compares them as text: "001" is not "1");
 *	 - a failure records nothing; dbmate takes no advisory lock (pg_migrate
 *	   takes its own) and keeps no checksum.
 * golang-migrate's table has the same name: the shapes tell them apart
 * (track_recognize.c) and each tool refuses the other's.
 *
 * IDENTIFICATION
 *	  src/track_dbmate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "safe_sql.h"
#include "track_rows.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

static const PgmToolTable dbmate_table = {
	.tool = "dbmate",
	.schema = "public",
	.relname = "schema_migrations",
	.shape = PGM_SHAPE_DBMATE_RAILS,
	.columns = "version character varying",
	.create = "create table if not exists %1$s (version varchar primary key)",
};

static void
dbmate_read(PgmTracked *t)
{
	pgm_track_read_texts(t, &dbmate_table, false);
}

static void
dbmate_write_begin(PgmTracked *t, int64 version)
{
	(void) pgm_rows_ensure(t, &dbmate_table);
}

static void
dbmate_write_nothing(PgmTracked *t)
{
}

static void
dbmate_write_failed(PgmTracked *t, int64 version)
{
}

static void
dbmate_write_row(PgmTracked *t, PgmFile *file, int64 elapsed_us)
{
	Oid			relid = pgm_rows_ensure(t, &dbmate_table);
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	int			rc;

	values[0] = CStringGetTextDatum(file->version_text);
	rc = pgm_rows_exec(relid,
					   psprintf("insert into %s (version) values ($1)",
								pgm_rows_qualified(&dbmate_table)),
					   1, types, values, NULL);
	pgm_spi_check(rc, SPI_OK_INSERT, "writing dbmate's schema_migrations");
}

/* dbmate's rollback: delete from schema_migrations where version = $1 */
static void
dbmate_write_reverted(PgmTracked *t, int64 version, bool has_prev, int64 prev)
{
	PgmFile    *file = pgm_rows_file(t, version);

	if (file == NULL)
		elog(ERROR, "no migration file for version " INT64_FORMAT, version);
	pgm_rows_delete(t, &dbmate_table, "version", TEXTOID,
					CStringGetTextDatum(file->version_text));
}

const PgmTracker pgm_tracker_dbmate = {
	.name = "dbmate",
	.table = "public.schema_migrations",
	.read = dbmate_read,
	.write_begin = dbmate_write_begin,
	.write_restore = dbmate_write_nothing,
	.write_failed = dbmate_write_failed,
	.lock_key = pgm_rows_own_lock_key,
	.per_migration = true,
	.write_row = dbmate_write_row,
	.write_reverted = dbmate_write_reverted,
};
