/*-------------------------------------------------------------------------
 *
 * track_flyway.c
 *	  Flyway's public.flyway_schema_history: one row per migration run,
 *	  with Flyway's CRC-32 line checksum.
 *
 * Its contract, from flyway/flyway (PostgreSQLDatabase.getRawCreateScript,
 * JdbcTableSchemaHistory, ChecksumCalculator, DbMigrate,
 * PostgreSQLAdvisoryLockTemplate):
 *	 - CREATE TABLE "public"."flyway_schema_history" ("installed_rank" INT
 *	   NOT NULL, "version" VARCHAR(50), "description" VARCHAR(200) NOT
 *	   NULL, "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL,
 *	   "checksum" INTEGER, "installed_by" VARCHAR(100) NOT NULL,
 *	   "installed_on" TIMESTAMP NOT NULL DEFAULT now(), "execution_time"
 *	   INTEGER NOT NULL, "success" BOOLEAN NOT NULL), its primary key
 *	   "flyway_schema_history_pk" and index "flyway_schema_history_s_idx";
 *	 - a row per migration: installed_rank the next one, version as written
 *	   ("_" read as "."), description from the name ("_" read as " "),
 *	   type 'SQL', script the file name, checksum, installed_by the role,
 *	   execution_time in milliseconds, success;
 *	 - the checksum: CRC-32 of the file's lines read as text (a BOM
 *	   dropped), each without its line terminator ("\n", "\r" or "\r\n"),
 *	   i.e. of the bytes with every CR and LF left out, as a signed int;
 *	 - a failure that rolled back records nothing on PostgreSQL; one that
 *	   did not (a migration outside a transaction, failed part-way) records
 *	   its row with success = false, which Flyway then refuses
 *	   ("Detected failed migration") until repaired;
 *	 - what is applied: the newest row of each version (a later UNDO_SQL or
 *	   DELETE row takes it back); a BASELINE row at V means every version
 *	   up to V is applied;
 *	 - a repeatable migration (R__) has rows with version NULL, one per
 *	   run; the newest of its description is the one compared
 *	   (MigrationInfoServiceImpl's latestRepeatableRuns);
 *	 - pg_try_advisory_lock(0x466C79776179 + hashCode of the table's name,
 *	   "public"."flyway_schema_history", as Java's String.hashCode).
 * Versions are keyed as the folder keys them (flyway_keys.c): integers,
 * or in a folder with dotted versions the encoding of every version, so a
 * history Flyway wrote with "1.10" is adopted for V1_10__x.sql.  A row
 * whose version has no key in the folder's keying (a dotted version in a
 * folder of integers, a version beyond the encoding) matches no file and
 * is left out.
 *
 * IDENTIFICATION
 *	  src/track_flyway.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "flyway_keys.h"
#include "format.h"
#include "miscadmin.h"
#include "safe_sql.h"
#include "track_rows.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/pg_crc.h"
#include "utils/timestamp.h"

#define FLYWAY_LOCK_MAGIC INT64CONST(0x466C79776179)

static const PgmToolTable flyway_table = {
	.tool = "Flyway",
	.schema = "public",
	.relname = "flyway_schema_history",
	.shape = PGM_SHAPE_FLYWAY,
	.columns = "installed_rank integer, version character varying(50), description character varying(200), type character varying(20), script character varying(1000), checksum integer, installed_by character varying(100), installed_on timestamp, execution_time integer, success boolean",
	.create = "CREATE TABLE %1$s (\n"
	"    \"installed_rank\" INT NOT NULL,\n"
	"    \"version\" VARCHAR(50),\n"
	"    \"description\" VARCHAR(200) NOT NULL,\n"
	"    \"type\" VARCHAR(20) NOT NULL,\n"
	"    \"script\" VARCHAR(1000) NOT NULL,\n"
	"    \"checksum\" INTEGER,\n"
	"    \"installed_by\" VARCHAR(100) NOT NULL,\n"
	"    \"installed_on\" TIMESTAMP NOT NULL DEFAULT now(),\n"
	"    \"execution_time\" INTEGER NOT NULL,\n"
	"    \"success\" BOOLEAN NOT NULL\n"
	");\n"
	"ALTER TABLE %1$s ADD CONSTRAINT \"flyway_schema_history_pk\" PRIMARY KEY (\"installed_rank\");\n"
	"CREATE INDEX \"flyway_schema_history_s_idx\" ON %1$s (\"success\");",
};

typedef struct FlywayRow
{
	int64		version;
	int32		rank;
	bool		applied;		/* SQL and the like, succeeded */
	bool		failed;
	char	   *checksum;
} FlywayRow;

static int
row_cmp(const void *a, const void *b)
{
	const FlywayRow *ra = a;
	const FlywayRow *rb = b;

	if (ra->version != rb->version)
		return ra->version < rb->version ? -1 : 1;
	return ra->rank < rb->rank ? -1 : (ra->rank > rb->rank ? 1 : 0);
}

/* A run of a repeatable migration (version NULL). */
typedef struct RepeatableRun
{
	char	   *description;
	int32		rank;
	bool		success;
	char	   *checksum;
} RepeatableRun;

static int
run_cmp(const void *a, const void *b)
{
	const RepeatableRun *ra = a;
	const RepeatableRun *rb = b;
	int			c = pgm_description_cmp(ra->description, rb->description);

	if (c != 0)
		return c;
	return ra->rank < rb->rank ? -1 : (ra->rank > rb->rank ? 1 : 0);
}

/*
 * The newest run of each description, of any type, is what Flyway compares
 * (latestRepeatableRuns); kept if it is an SQL run that succeeded.  Sorted by description, so
 * the plan finds one by binary search: O(n log n) in the rows.
 */
static void
keep_newest_runs(PgmTracked *t, RepeatableRun *runs, int nruns)
{
	int			k;

	if (nruns > 1)
		qsort(runs, nruns, sizeof(RepeatableRun), run_cmp);
	t->repeatable_names = palloc(sizeof(char *) * Max(nruns, 1));
	t->repeatable_checksums = palloc(sizeof(char *) * Max(nruns, 1));
	for (k = 0; k < nruns; k++)
	{
		CHECK_FOR_INTERRUPTS();
		if (k + 1 < nruns && pgm_description_cmp(runs[k + 1].description, runs[k].description) == 0)
			continue;
		if (!runs[k].success)
			continue;
		t->repeatable_names[t->nrepeatables] = runs[k].description;
		t->repeatable_checksums[t->nrepeatables] = runs[k].checksum;
		t->nrepeatables++;
	}
}

static void
flyway_read(PgmTracked *t)
{
	PgmAsOwner	owner;
	FlywayRow  *rows;
	int			nrows = 0;
	RepeatableRun *runs;
	int			nruns = 0;
	bool		has_baseline = false;
	int64		baseline = 0;
	uint64		i;
	int			k;

	t->exact = true;
	if (!pgm_rows_select(t, &flyway_table,
						 "SELECT installed_rank::pg_catalog.int4, version::pg_catalog.text, "
						 "type::pg_catalog.text, checksum::pg_catalog.text, success, "
						 "description::pg_catalog.text FROM %s",
						 "reading Flyway's schema history", &owner))
		return;
	rows = palloc(sizeof(FlywayRow) * Max(SPI_processed, 1));
	runs = palloc(sizeof(RepeatableRun) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *vtext = SPI_getvalue(tup, desc, 2);
		char	   *type = SPI_getvalue(tup, desc, 3);
		bool		success = DatumGetBool(SPI_getbinval(tup, desc, 5, &isnull)) && !isnull;
		FlywayRow  *r = &rows[nrows];

		if (vtext == NULL)
		{
			/* every run counts as the newest; only an SQL one applied */
			RepeatableRun *run = &runs[nruns];

			run->description = SPI_getvalue(tup, desc, 6);
			run->rank = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
			run->success = success && type != NULL && strcmp(type, "SQL") == 0;
			run->checksum = SPI_getvalue(tup, desc, 4);
			if (run->description != NULL)
				nruns++;
			continue;
		}
		if (vtext == NULL || type == NULL || !pgm_flyway_text_key(t->folder, vtext, &r->version))
			continue;
		if (strcmp(type, "BASELINE") == 0)
		{
			if (success && (!has_baseline || r->version > baseline))
				baseline = r->version;
			has_baseline = has_baseline || success;
			continue;
		}
		r->rank = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
		r->checksum = SPI_getvalue(tup, desc, 4);
		r->failed = !success;
		/* an undo or a deleted row takes the version back */
		r->applied = success && strcmp(type, "UNDO_SQL") != 0 &&
			strcmp(type, "UNDO_JDBC") != 0 && strcmp(type, "DELETE") != 0;
		nrows++;
	}
	pgm_rows_select_end(&owner);

	keep_newest_runs(t, runs, nruns);

	/* the newest row of each version decides */
	qsort(rows, nrows, sizeof(FlywayRow), row_cmp);
	for (k = 0; k < nrows; k++)
	{
		if (k + 1 < nrows && rows[k + 1].version == rows[k].version)
			continue;
		if (rows[k].applied)
			pgm_rows_add(t, rows[k].version, rows[k].checksum);
		else if (rows[k].failed && (!t->dirty || rows[k].version < t->dirty_version))
		{
			t->dirty = true;
			t->dirty_version = rows[k].version;
		}
	}
	/* below the baseline every version counts as applied */
	if (has_baseline && t->folder != NULL)
		for (k = 0; k < t->folder->nfiles && t->folder->files[k].version <= baseline; k++)
			pgm_rows_add(t, t->folder->files[k].version, NULL);
	pgm_rows_finish(t);
}

static void
flyway_write_begin(PgmTracked *t, int64 version)
{
	(void) pgm_rows_ensure(t, &flyway_table);
}

static void
flyway_write_nothing(PgmTracked *t)
{
}

/* ChecksumCalculator: CRC-32 of the lines, without terminators or BOM */
static int32
flyway_checksum(PgmTracked *t, PgmFile *file)
{
	size_t		len;
	char	   *raw = pgm_rows_raw_bytes(t, file, &len);
	size_t		start = 0;
	size_t		i;
	pg_crc32	crc;

	if (len >= 3 && memcmp(raw, "\xEF\xBB\xBF", 3) == 0)
		start = 3;
	INIT_TRADITIONAL_CRC32(crc);
	for (i = start; i < len;)
	{
		size_t		run = strcspn(raw + i, "\r\n");

		if (run > len - i)
			run = len - i;
		if (run > 0)
			COMP_TRADITIONAL_CRC32(crc, raw + i, run);
		i += run;
		while (i < len && (raw[i] == '\r' || raw[i] == '\n'))
			i++;
	}
	FIN_TRADITIONAL_CRC32(crc);
	return (int32) crc;
}

static void
flyway_insert(PgmTracked *t, PgmFile *file, int64 elapsed_us, bool success,
			  const char *type)
{
	char	   *user = pgm_rows_user();
	Oid			relid = pgm_rows_ensure(t, &flyway_table);
	Oid			types[8] = {TEXTOID, TEXTOID, TEXTOID, INT4OID, TEXTOID, INT4OID, BOOLOID, TEXTOID};
	Datum		values[8];
	char		nulls[8];
	char	   *version = pstrdup(file->version_text);
	char	   *p;
	int			rc;

	for (p = version; *p; p++)
		if (*p == '_')
			*p = '.';
	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(version);
	if (file->repeatable)
		nulls[0] = 'n';			/* a repeatable migration has no version */
	values[1] = CStringGetTextDatum(pgm_rows_spaced(file->name));
	values[2] = CStringGetTextDatum(file->filename);
	values[3] = Int32GetDatum(flyway_checksum(t, file));
	values[4] = CStringGetTextDatum(user);
	values[5] = Int32GetDatum((int32) Min(elapsed_us / 1000, PG_INT32_MAX));
	values[6] = BoolGetDatum(success);
	values[7] = CStringGetTextDatum(type);
	rc = pgm_rows_exec(relid,
					   psprintf("INSERT INTO %1$s (installed_rank, version, description, type, script, "
								"checksum, installed_by, execution_time, success) "
								"SELECT COALESCE(pg_catalog.max(installed_rank), 0) OPERATOR(pg_catalog.+) 1, "
								"$1, $2, $8, $3, $4, $5, $6, $7 FROM %1$s",
								pgm_rows_qualified(&flyway_table)),
					   8, types, values, nulls);
	pgm_spi_check(rc, SPI_OK_INSERT, "writing Flyway's schema history");
}

static void
flyway_write_row(PgmTracked *t, PgmFile *file, int64 elapsed_us)
{
	flyway_insert(t, file, elapsed_us, true, "SQL");
}

/*
 * Flyway Teams' undo: a row of type UNDO_SQL for the version, naming the
 * U file and its checksum; the newest row of a version decides (read).
 */
static void
flyway_write_reverted(PgmTracked *t, int64 version, bool has_prev, int64 prev)
{
	PgmFile    *file = pgm_rows_file(t, version);
	PgmFile    *undo = file != NULL ? pgm_file_down(file) : NULL;

	if (undo == NULL)
		elog(ERROR, "no undo migration for version " INT64_FORMAT, version);
	flyway_insert(t, undo, t->started ? (GetCurrentTimestamp() - t->started) : 0,
				  true, "UNDO_SQL");
}

/* Only a failure that did not roll back leaves its row (success = false). */
static void
flyway_write_failed(PgmTracked *t, int64 version)
{
	PgmFile    *file = pgm_rows_file(t, version);

	if (!t->in_flight_steps || file == NULL)
		return;
	flyway_insert(t, file, t->started ? GetCurrentTimestamp() - t->started : 0, false, "SQL");
}

static bool
flyway_file_matches(PgmTracked *t, PgmFile *file, const char *recorded)
{
	return strcmp(psprintf("%d", flyway_checksum(t, file)), recorded) == 0;
}

/* PostgreSQLAdvisoryLockTemplate: LOCK_MAGIC_NUM + table.toString().hashCode() */
static int64
flyway_lock_key(void)
{
	const char *name = "\"public\".\"flyway_schema_history\"";
	int32		hash = 0;
	const char *p;

	for (p = name; *p; p++)
		hash = (int32) ((uint32) hash * 31 + (unsigned char) *p);
	return FLYWAY_LOCK_MAGIC + hash;
}

const PgmTracker pgm_tracker_flyway = {
	.name = "Flyway",
	.table = "public.flyway_schema_history",
	.read = flyway_read,
	.write_begin = flyway_write_begin,
	.write_restore = flyway_write_nothing,
	.write_failed = flyway_write_failed,
	.lock_key = flyway_lock_key,
	.per_migration = true,
	.write_row = flyway_write_row,
	.write_reverted = flyway_write_reverted,
	.file_matches = flyway_file_matches,
};
