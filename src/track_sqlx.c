/*-------------------------------------------------------------------------
 *
 * track_sqlx.c
 *	  sqlx's public._sqlx_migrations: one row per migration, with the
 *	  SHA-384 of its file.
 *
 * Its contract, from sqlx (sqlx-postgres/src/migrate.rs, sqlx-core's
 * migrate/migration.rs and source.rs):
 *	 - CREATE TABLE IF NOT EXISTS _sqlx_migrations (version BIGINT PRIMARY
 *	   KEY, description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL
 *	   DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL,
 *	   execution_time BIGINT NOT NULL), created before anything runs;
 *	 - after a migration runs, in its transaction: INSERT (version,
 *	   description, success, checksum, execution_time) VALUES (v, d, TRUE,
 *	   sha384(file), -1), then after the commit execution_time is set to the
 *	   nanoseconds it took.  pg_migrate writes the nanoseconds at once (one
 *	   transaction: the end state sqlx reaches);
 *	 - the description is the file name after the first "_", without
 *	   ".sql" / ".up.sql", "_" read as " "; the checksum is SHA-384 of the
 *	   file's bytes as they are (a BOM and CRLF included);
 *	 - a row with success = false (written by sqlx before 0.7) makes sqlx
 *	   refuse to run ("dirty"); sqlx 0.7 and later record no failure (the
 *	   migration's transaction rolls back with its row);
 *	 - pg_advisory_lock(0x3d32ad9e * crc32(current_database())).
 * sqlx reads an applied migration whose file's checksum differs as a
 * VersionMismatch: adoption does the same (the file is modified).
 *
 * It also sets pgm_format_choice_hook: a folder that fits both
 * golang-migrate and sqlx (sqlx's reversible files) is sqlx's when
 * _sqlx_migrations exists.
 *
 * IDENTIFICATION
 *	  src/track_sqlx.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "format.h"
#include "miscadmin.h"
#include "safe_sql.h"
#include "track_rows.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/pg_crc.h"

#define SQLX_LOCK_SALT INT64CONST(0x3d32ad9e)

static const PgmToolTable sqlx_table = {
	.tool = "sqlx",
	.schema = "public",
	.relname = "_sqlx_migrations",
	.shape = PGM_SHAPE_SQLX,
	.columns = "version bigint, description text, installed_on timestamptz, success boolean, checksum bytea, execution_time bigint",
	.create = "CREATE TABLE IF NOT EXISTS %1$s (\n"
	"    version BIGINT PRIMARY KEY,\n"
	"    description TEXT NOT NULL,\n"
	"    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
	"    success BOOLEAN NOT NULL,\n"
	"    checksum BYTEA NOT NULL,\n"
	"    execution_time BIGINT NOT NULL\n"
	")",
};

static void
sqlx_read(PgmTracked *t)
{
	PgmAsOwner	owner;
	uint64		i;

	t->exact = true;
	if (!pgm_rows_select(t, &sqlx_table,
						 "SELECT version, success, pg_catalog.encode(checksum, 'hex') "
						 "FROM %s ORDER BY version",
						 "reading sqlx's migration table", &owner))
		return;
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		version = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
		bool		success = DatumGetBool(SPI_getbinval(row, desc, 2, &isnull)) && !isnull;

		if (!success)
		{
			/* sqlx's dirty_version: the lowest version that failed */
			if (!t->dirty)
			{
				t->dirty = true;
				t->dirty_version = version;
			}
			continue;
		}
		pgm_rows_add(t, version, SPI_getvalue(row, desc, 3));
	}
	pgm_rows_select_end(&owner);
	pgm_rows_finish(t);
}

/* ensure_migrations_table, before anything runs */
static void
sqlx_write_begin(PgmTracked *t, int64 version)
{
	(void) pgm_rows_ensure(t, &sqlx_table);
}

static void
sqlx_write_nothing(PgmTracked *t)
{
}

/* sqlx 0.7+ records no failure: the row rolls back with the migration */
static void
sqlx_write_failed(PgmTracked *t, int64 version)
{
}

static char *
sqlx_checksum(PgmTracked *t, PgmFile *file)
{
	size_t		len;
	char	   *raw = pgm_rows_raw_bytes(t, file, &len);

	return pgm_rows_sha_hex(PG_SHA384, raw, len);
}

static void
sqlx_write_row(PgmTracked *t, PgmFile *file, int64 elapsed_us)
{
	Oid			relid = pgm_rows_ensure(t, &sqlx_table);
	Oid			types[4] = {INT8OID, TEXTOID, TEXTOID, INT8OID};
	Datum		values[4];
	int			rc;

	values[0] = Int64GetDatum(file->version);
	values[1] = CStringGetTextDatum(pgm_rows_spaced(file->name));
	values[2] = CStringGetTextDatum(sqlx_checksum(t, file));
	values[3] = Int64GetDatum(elapsed_us * 1000);
	rc = pgm_rows_exec(relid,
					   psprintf("INSERT INTO %s (version, description, success, checksum, execution_time) "
								"VALUES ($1, $2, TRUE, pg_catalog.decode($3, 'hex'), $4)",
								pgm_rows_qualified(&sqlx_table)),
					   4, types, values, NULL);
	pgm_spi_check(rc, SPI_OK_INSERT, "writing sqlx's migration table");
}

static bool
sqlx_file_matches(PgmTracked *t, PgmFile *file, const char *recorded)
{
	return strcmp(sqlx_checksum(t, file), recorded) == 0;
}

/* generate_lock_id: 0x3d32ad9e * CRC-32 (IEEE) of the database name */
static int64
sqlx_lock_key(void)
{
	char	   *db = get_database_name(MyDatabaseId);
	pg_crc32	crc;

	if (db == NULL)
		elog(ERROR, "could not find the current database's name");
	INIT_TRADITIONAL_CRC32(crc);
	COMP_TRADITIONAL_CRC32(crc, db, strlen(db));
	FIN_TRADITIONAL_CRC32(crc);
	return SQLX_LOCK_SALT * (int64) (uint32) crc;
}

/* sqlx's revert: DELETE FROM _sqlx_migrations WHERE version = $1 */
static void
sqlx_write_reverted(PgmTracked *t, int64 version, bool has_prev, int64 prev)
{
	pgm_rows_delete(t, &sqlx_table, "version", INT8OID, Int64GetDatum(version));
}

const PgmTracker pgm_tracker_sqlx = {
	.name = "sqlx",
	.table = "public._sqlx_migrations",
	.read = sqlx_read,
	.write_begin = sqlx_write_begin,
	.write_restore = sqlx_write_nothing,
	.write_failed = sqlx_write_failed,
	.lock_key = sqlx_lock_key,
	.per_migration = true,
	.write_row = sqlx_write_row,
	.write_reverted = sqlx_write_reverted,
	.file_matches = sqlx_file_matches,
};

/*
 * A folder that fits golang-migrate's format and sqlx's (reversible
 * files): sqlx's when its table exists in the database, as the issue
 * says ("the tracking table already in the database decides").
 */
static const PgmFormat *
choose_format(const char *path, const PgmFormat *const *candidates, int n)
{
	Oid			nsp;
	int			i;

	if (!IsTransactionState())
		return NULL;
	nsp = get_namespace_oid(sqlx_table.schema, true);
	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid(sqlx_table.relname, nsp)))
		return NULL;
	for (i = 0; i < n; i++)
		if (strcmp(candidates[i]->name, "sqlx") == 0)
			return candidates[i];
	return NULL;
}

void		pgm_track_choice_init(void);

void
pgm_track_choice_init(void)
{
	pgm_format_choice_hook = choose_format;
}
