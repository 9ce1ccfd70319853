/*-------------------------------------------------------------------------
 *
 * track_golang.c
 *	  golang-migrate's public.schema_migrations (also Encore's): one row,
 *	  the highest applied version and whether it failed part-way.
 *
 * Its contract, from golang-migrate's database/postgres driver:
 *	 - CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY,
 *	   dirty boolean NOT NULL);
 *	 - SetVersion deletes every row and inserts (version, dirty) in one
 *	   transaction; no row means no migration applied (NilVersion);
 *	 - the migration lock is pg_advisory_lock(key) with key derived from the
 *	   database name, the schema and the table name (lock_key below);
 *	 - the table is created before anything runs (ensureVersionTable), and
 *	   before each migration runs SetVersion(version, true), after it
 *	   SetVersion(version, false): a migration that alters the table, or a
 *	   run that stops part-way, finds what it would under golang-migrate.
 * The table's name is pg_migrate.version_table (x-migrations-table), read
 * once per run into the PgmTracked.  A table of that name that another tool
 * made is refused before anything runs (track_recognize.c).
 *
 * Every query runs with a pinned search_path (safe_sql.c) or as the table's
 * owner in a security-restricted operation, and names the version and
 * dirty columns only, so columns that migrations add to the table are
 * tolerated (a NOT NULL one needs a default, as under golang-migrate).
 *
 * IDENTIFICATION
 *	  src/track_golang.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "safe_sql.h"
#include "storage/lock.h"
#include "track.h"
#include "track_recognize.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/pg_crc.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#define GOLANG_MIGRATE_SALT 1486364155U

/*
 * pg_migrate.version_table: golang-migrate's x-migrations-table.
 *
 * The value is an SQL name, schema-qualified or not, in PostgreSQL's
 * identifier syntax (quoted parts keep their case and may hold dots).
 * golang-migrate's forms map onto it: x-migrations-table=foo is "foo",
 * x-migrations-table="s"."t" with x-migrations-table-quoted=true is "s"."t".
 * An unqualified name is in schema public.  golang-migrate puts it in
 * current_schema(), the first schema of the connection's search_path that
 * exists, which is public under the default search_path; pg_migrate never
 * resolves its own tables through a search_path (a caller or a database
 * owner chooses it, and the worker writes the table as its owner), so other
 * schemas are named explicitly.  Schemas named pg_... are system schemas
 * and refused, as CREATE SCHEMA refuses them.
 *
 * PGC_SUSET: the table named is written (its rows deleted and replaced) as
 * its owner, by callers of migrate_apply and by the worker, which runs as
 * pg_migrate.role.  A setting anyone could make would let a role that may
 * only call migrate_apply, or the owner of a database the worker serves
 * (ALTER DATABASE ... SET), point that write at any table with a version
 * and a dirty column that it cannot otherwise write.  As PGC_SUSET it is set
 * in postgresql.conf, by a superuser per database or per role (ALTER
 * DATABASE / ROLE ... SET), or by roles granted SET on it (GRANT SET ON
 * PARAMETER pg_migrate.version_table TO ...).  Not GUC_SUPERUSER_ONLY: the
 * name is no secret, and whoever reads migrate_status needs to know which
 * table it compares with.
 */
static char *version_table_setting = NULL;

typedef struct VersionTable
{
	char		schema[NAMEDATALEN];
	char		relname[NAMEDATALEN];
	char		display[2 * NAMEDATALEN + 1];	/* schema.table, for messages */
} VersionTable;

static VersionTable *version_table = NULL;

/*
 * The migration lock's key for the table last locked (lock_key below), so
 * that the setting cannot change under a lock taken for another table: the
 * lock is released by recomputing its key (lock.c), and a session lock
 * taken for one table and released for another would stay held.
 */
static bool last_key_valid = false;
static int64 last_key;

/* Does this session hold the migration lock last taken (lock.c's tag)? */
static bool
migration_lock_held(void)
{
	LOCKTAG		tag;

	if (!last_key_valid || !OidIsValid(MyDatabaseId))
		return false;
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) (last_key >> 32),
						 (uint32) last_key, 1);
	return LockHeldByMe(&tag, ExclusiveLock);
}

/* Parses a value into schema and table; false with the GUC error set. */
static bool
parse_version_table(const char *value, char *schema, char *relname)
{
	char	   *raw = pstrdup(value);
	List	   *names = NIL;
	bool		ok = false;

	if (!SplitIdentifierString(raw, '.', &names) || names == NIL ||
		((char *) llast(names))[0] == '\0' ||
		(list_length(names) == 2 && ((char *) linitial(names))[0] == '\0'))
		GUC_check_errdetail("A table name is expected, such as public.schema_migrations or \"My Schema\".\"my.migrations\".");
	else if (list_length(names) > 2)
		GUC_check_errdetail("A table name has at most two parts, schema and table.");
	else
	{
		strlcpy(schema, list_length(names) == 2 ? linitial(names) : "public", NAMEDATALEN);
		strlcpy(relname, llast(names), NAMEDATALEN);
		if (strncmp(schema, "pg_", 3) == 0)
			GUC_check_errdetail("The prefix \"pg_\" is reserved for system schemas.");
		else
			ok = true;
	}
	list_free(names);
	pfree(raw);
	return ok;
}

static bool
check_version_table(char **newval, void **extra, GucSource source)
{
	VersionTable parsed;
	VersionTable *vt;

	if (!parse_version_table(*newval, parsed.schema, parsed.relname))
		return false;
	if (version_table != NULL &&
		(strcmp(parsed.schema, version_table->schema) != 0 ||
		 strcmp(parsed.relname, version_table->relname) != 0) &&
		migration_lock_held())
	{
		GUC_check_errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE);
		GUC_check_errdetail("This session holds the migration lock of table \"%s\"; the setting cannot change until it is released.",
							version_table->display);
		return false;
	}
	snprintf(parsed.display, sizeof(parsed.display), "%s.%s",
			 parsed.schema, parsed.relname);

	/* GUC extra is malloc'd: the GUC machinery frees it */
	vt = (VersionTable *) malloc(sizeof(VersionTable));
	if (vt == NULL)
	{
		GUC_check_errcode(ERRCODE_OUT_OF_MEMORY);
		return false;
	}
	memcpy(vt, &parsed, sizeof(VersionTable));
	*extra = vt;
	return true;
}

extern PgmTracker pgm_tracker_golang;

static void
assign_version_table(const char *newval, void *extra)
{
	version_table = (VersionTable *) extra;
	pgm_tracker_golang.table = version_table->display;
}

void		pgm_track_golang_init(void);

void
pgm_track_golang_init(void)
{
	DefineCustomStringVariable("pg_migrate.version_table",
							   "Sets golang-migrate's version table (its x-migrations-table).",
							   "A table name, schema-qualified or not; an unqualified name is in schema public.",
							   &version_table_setting,
							   "public.schema_migrations",
							   PGC_SUSET,
							   0,
							   check_version_table, assign_version_table, NULL);
}

/* Where the table is, from the setting, fixed in *t for the run. */
static void
locate(PgmTracked *t)
{
	t->schema = pstrdup(version_table->schema);
	t->relname = pstrdup(version_table->relname);
	t->table = pstrdup(version_table->display);
}

/* "public.schema_migrations": schema and table quoted as needed. */
static char *
qualified(PgmTracked *t)
{
	return quote_qualified_identifier(t->schema, t->relname);
}

/*
 * Refuses a table golang-migrate could not have made: not a table, columns
 * missing or of other types (a text version read as bigint would baseline
 * every file; another tool's table would be overwritten), or row security
 * the owner is subject to (rows it hides would read as "not applied").
 */
static void
check_table(PgmTracked *t, Oid relid)
{
	char		relkind = get_rel_relkind(relid);
	PgmTableShape shape;
	HeapTuple	tuple;
	bool		forced;

	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", t->table),
				 errdetail("golang-migrate keeps its versions in a table; a view or other relation in its place is neither read nor written."),
				 errhint("Set pg_migrate.version_table to golang-migrate's table, or drop or rename the relation \"%s\".",
						 t->table)));

	shape = pgm_track_recognize(relid);
	if (shape != PGM_SHAPE_GOLANG_MIGRATE)
	{
		char	   *columns = pgm_track_describe_columns(relid);

		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" is not golang-migrate's version table", t->table),
				 errdetail("%s golang-migrate's are version bigint, dirty boolean. %s",
						   columns ? psprintf(_("Its columns are %s;"), columns) :
						   _("It has no columns;"),
						   shape == PGM_SHAPE_UNKNOWN ?
						   _("They match no migration tool that pg_migrate recognizes.") :
						   psprintf(_("They look like the version table of %s."),
									pgm_track_shape_name(shape))),
				 errhint("Set pg_migrate.version_table to the table golang-migrate uses for this folder (its x-migrations-table), or rename the other tool's table.")));
	}

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	forced = ((Form_pg_class) GETSTRUCT(tuple))->relrowsecurity &&
		((Form_pg_class) GETSTRUCT(tuple))->relforcerowsecurity;
	ReleaseSysCache(tuple);
	if (forced)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" has forced row security", t->table),
				 errdetail("Rows hidden from its owner would read as migrations not applied."),
				 errhint("ALTER TABLE %s NO FORCE ROW LEVEL SECURITY.", qualified(t))));
}

static Oid
golang_relid(PgmTracked *t)
{
	Oid			nsp = get_namespace_oid(t->schema, true);

	return OidIsValid(nsp) ? get_relname_relid(t->relname, nsp) : InvalidOid;
}

static void
golang_read(PgmTracked *t)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			relid;
	PgmAsOwner	owner;
	int			rc;

	locate(t);
	relid = golang_relid(t);
	t->exists = OidIsValid(relid);
	t->exact = false;
	if (!t->exists)
		return;
	check_table(t, relid);

	/* as the table's owner: its triggers and rules never run as us */
	pgm_as_owner_begin(relid, &owner);
	rc = SPI_execute(psprintf("SELECT version::pg_catalog.int8, dirty FROM %s "
							  "ORDER BY version DESC LIMIT 1", qualified(t)),
					 false, 0);
	pgm_spi_check(rc, SPI_OK_SELECT, "reading golang-migrate's version table");
	if (SPI_processed == 1)
	{
		bool		isnull;
		bool		dirty;

		t->has_upto = true;
		t->upto = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 1, &isnull));
		dirty = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 2, &isnull));
		t->dirty = dirty && !isnull;
		t->dirty_version = t->upto;
	}
	SPI_freetuptable(SPI_tuptable);
	pgm_as_owner_end(&owner);
	MemoryContextSwitchTo(caller);
}

/*
 * golang-migrate's ensureVersionTable: the table, created by the caller
 * (who then owns it) when missing; returns it, checked.
 */
static Oid
golang_ensure(PgmTracked *t)
{
	Oid			relid = golang_relid(t);
	Oid			nsp;
	int			nestlevel;
	int			rc;

	if (!OidIsValid(relid))
	{
		nsp = get_namespace_oid(t->schema, true);
		if (!OidIsValid(nsp))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_SCHEMA),
					 errmsg("schema \"%s\" does not exist", t->schema),
					 errdetail("golang-migrate's table \"%s\" is created there on first use.", t->table),
					 errhint("Create the schema, or set pg_migrate.version_table to a table in a schema that exists.")));
		if (pg_namespace_aclcheck(nsp, GetUserId(), ACL_CREATE) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to create table \"%s\"", t->table),
					 errdetail("golang-migrate's table is created on first use, and role \"%s\" has no CREATE privilege on schema \"%s\".",
							   GetUserNameFromId(GetUserId(), false), t->schema),
					 errhint("Grant CREATE on schema \"%s\" to the role, or create the table first: CREATE TABLE %s (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL).",
							 t->schema, qualified(t))));
		nestlevel = pgm_safe_sql_begin();
		rc = SPI_execute(psprintf("CREATE TABLE %s ("
								  "version bigint NOT NULL PRIMARY KEY, "
								  "dirty boolean NOT NULL)", qualified(t)),
						 false, 0);
		pgm_spi_check(rc, SPI_OK_UTILITY, "creating golang-migrate's version table");
		pgm_safe_sql_end(nestlevel);
		CommandCounterIncrement();
		relid = golang_relid(t);
	}
	check_table(t, relid);
	return relid;
}

/*
 * SetVersion: the table holds exactly (version, dirty), or no row when
 * has_version is false (NilVersion).  Only the version and dirty columns
 * are named: columns that migrations added keep their defaults.
 */
static void
golang_store(PgmTracked *t, bool has_version, int64 version, bool dirty)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			argtypes[2] = {INT8OID, BOOLOID};
	Datum		values[2];
	PgmAsOwner	owner;
	Oid			relid = golang_ensure(t);
	int			rc;

	/* as the table's owner: its triggers and rules never run as us */
	pgm_as_owner_begin(relid, &owner);
	rc = SPI_execute(psprintf("DELETE FROM %s", qualified(t)), false, 0);
	pgm_spi_check(rc, SPI_OK_DELETE, "updating golang-migrate's version table");
	if (has_version)
	{
		values[0] = Int64GetDatum(version);
		values[1] = BoolGetDatum(dirty);
		rc = SPI_execute_with_args(psprintf("INSERT INTO %s (version, dirty) "
											"VALUES ($1, $2)", qualified(t)),
								   2, argtypes, values, NULL, false, 0);
		pgm_spi_check(rc, SPI_OK_INSERT, "updating golang-migrate's version table");
	}
	pgm_as_owner_end(&owner);
	MemoryContextSwitchTo(caller);
}

/* SetVersion, and *t says what the table now says. */
static void
golang_set(PgmTracked *t, int64 version, bool dirty)
{
	golang_store(t, true, version, dirty);
	t->exists = t->has_upto = true;
	t->upto = version;
	t->dirty = dirty;
	t->dirty_version = version;
}

static void
golang_write_applied(PgmTracked *t, int64 version)
{
	golang_set(t, version, false);
}

static void
golang_write_failed(PgmTracked *t, int64 version)
{
	golang_set(t, version, true);
}

/* migrate.go runMigrations: SetVersion(version, true) before Run. */
static void
golang_write_begin(PgmTracked *t, int64 version)
{
	golang_store(t, true, version, true);
}

/*
 * What read found.  A table that did not exist stays, empty: golang-migrate
 * creates it before it runs anything, and no row is its NilVersion.
 */
static void
golang_write_restore(PgmTracked *t)
{
	golang_store(t, t->exists && t->has_upto, t->upto, t->dirty);
}

/*
 * migrate.go's down: runMigrations with the migration's TargetVersion, the
 * previous version (or NilVersion, -1): SetVersion(prev, true) before the
 * down migration runs (a dirty NilVersion is written as (-1, true),
 * golang-migrate issue 330), SetVersion(prev, false) after it (no row for
 * NilVersion).
 */
static void
golang_write_revert_begin(PgmTracked *t, int64 version, bool has_prev, int64 prev)
{
	golang_store(t, true, has_prev ? prev : -1, true);
}

static void
golang_write_reverted(PgmTracked *t, int64 version, bool has_prev, int64 prev)
{
	golang_store(t, has_prev, prev, false);
	t->exists = true;
	t->has_upto = has_prev;
	t->upto = has_prev ? prev : 0;
	t->dirty = false;
	t->dirty_version = 0;
}

/*
 * golang-migrate v4's key (database.GenerateAdvisoryLockId): CRC-32 (IEEE)
 * of "<schema>\0<table>\0<database>", times a salt, as uint32, with the
 * schema and table of pg_migrate.version_table.  Older golang-migrate
 * versions hashed the database name alone; they are not excluded.
 */
static int64
golang_lock_key(void)
{
	const char *parts[3];
	pg_crc32	crc;
	int			i;

	parts[0] = version_table->schema;
	parts[1] = version_table->relname;
	parts[2] = get_database_name(MyDatabaseId);
	if (parts[2] == NULL)
		elog(ERROR, "could not find the current database's name");

	INIT_TRADITIONAL_CRC32(crc);
	for (i = 0; i < 3; i++)
	{
		if (i > 0)
			COMP_TRADITIONAL_CRC32(crc, "", 1);	/* the '\0' separator */
		COMP_TRADITIONAL_CRC32(crc, parts[i], strlen(parts[i]));
	}
	FIN_TRADITIONAL_CRC32(crc);
	last_key = (int64) (uint32) (crc * GOLANG_MIGRATE_SALT);
	last_key_valid = true;
	return last_key;
}

PgmTracker	pgm_tracker_golang = {
	.name = "golang-migrate",
	.table = "public.schema_migrations",
	.read = golang_read,
	.write_begin = golang_write_begin,
	.write_restore = golang_write_restore,
	.write_applied = golang_write_applied,
	.write_failed = golang_write_failed,
	.write_revert_begin = golang_write_revert_begin,
	.write_reverted = golang_write_reverted,
	.lock_key = golang_lock_key,
};
