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
 *	   database name, the schema and the table name (lock_key below).
 *
 * Every query runs with a pinned search_path (safe_sql.c) and names its
 * columns, so columns that migrations add to the table are tolerated.
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
#include "track.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/pg_crc.h"
#include "utils/syscache.h"

#define GOLANG_MIGRATE_SALT 1486364155U

/* "version character varying(128), inserted_at timestamp(0) ..." */
static char *
describe_columns(Oid relid)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};
	int			nestlevel = pgm_safe_sql_begin();
	char	   *columns = NULL;
	bool		isnull;
	int			rc;

	rc = SPI_execute_with_args("SELECT pg_catalog.string_agg(pg_catalog.quote_ident(attname) "
							   "OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) "
							   "pg_catalog.format_type(atttypid, atttypmod), ', ' ORDER BY attnum) "
							   "FROM pg_catalog.pg_attribute "
							   "WHERE attrelid OPERATOR(pg_catalog.=) $1 "
							   "AND attnum OPERATOR(pg_catalog.>) 0 AND NOT attisdropped",
							   1, argtypes, values, NULL, true, 1);
	pgm_spi_check(rc, SPI_OK_SELECT, "reading the columns of public.schema_migrations");
	MemoryContextSwitchTo(caller);
	if (SPI_processed == 1)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			columns = TextDatumGetCString(d);
	}
	pgm_safe_sql_end(nestlevel);
	MemoryContextSwitchTo(caller);
	return columns ? columns : pstrdup("none");
}

/* The tool a schema_migrations table that is not golang-migrate's looks like. */
static const char *
guess_tool(Oid relid)
{
	AttrNumber	version = get_attnum(relid, "version");
	Oid			type = version != InvalidAttrNumber ? get_atttype(relid, version) : InvalidOid;

	if (get_attnum(relid, "inserted_at") != InvalidAttrNumber)
		return "Ecto's";
	if (type == VARCHAROID || type == TEXTOID)
		return "dbmate's or Rails'";
	return "another tool's";
}

/*
 * Refuses a public.schema_migrations that golang-migrate could not have
 * made: not a table, columns missing or of other types (a text version
 * read as bigint would baseline every file), or row security the owner is
 * subject to (rows it hides would read as "not applied").
 */
static void
check_table(Oid relid)
{
	char		relkind = get_rel_relkind(relid);
	AttrNumber	version = get_attnum(relid, "version");
	AttrNumber	dirty = get_attnum(relid, "dirty");
	Oid			vtype = version != InvalidAttrNumber ? get_atttype(relid, version) : InvalidOid;
	Oid			dtype = dirty != InvalidAttrNumber ? get_atttype(relid, dirty) : InvalidOid;
	HeapTuple	tuple;
	bool		forced;

	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("public.schema_migrations is not a table"),
				 errdetail("golang-migrate keeps its versions in a table; a view or other relation in its place is not read or written."),
				 errhint("Drop or rename the relation public.schema_migrations.")));

	if ((vtype != INT8OID && vtype != INT4OID && vtype != INT2OID) || dtype != BOOLOID)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table public.schema_migrations is not golang-migrate's"),
				 errdetail("Its columns are %s; golang-migrate's are version bigint, dirty boolean. They look like %s.",
						   describe_columns(relid), guess_tool(relid)),
				 errhint("Rename the other tool's table if this folder's migrations are golang-migrate's, e.g. ALTER TABLE public.schema_migrations RENAME TO old_schema_migrations.")));

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	forced = ((Form_pg_class) GETSTRUCT(tuple))->relrowsecurity &&
		((Form_pg_class) GETSTRUCT(tuple))->relforcerowsecurity;
	ReleaseSysCache(tuple);
	if (forced)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table public.schema_migrations has forced row security"),
				 errdetail("Rows hidden from its owner would read as migrations not applied."),
				 errhint("ALTER TABLE public.schema_migrations NO FORCE ROW LEVEL SECURITY.")));
}

static Oid
golang_relid(void)
{
	Oid			nsp = get_namespace_oid("public", true);

	return OidIsValid(nsp) ? get_relname_relid("schema_migrations", nsp) : InvalidOid;
}

static void
golang_read(PgmTracked *t)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			relid = golang_relid();
	PgmAsOwner	owner;
	int			rc;

	t->exists = OidIsValid(relid);
	t->exact = false;
	if (!t->exists)
		return;
	check_table(relid);

	/* as the table's owner: its triggers and rules never run as us */
	pgm_as_owner_begin(relid, &owner);
	rc = SPI_execute("SELECT version::pg_catalog.int8, dirty FROM public.schema_migrations "
					 "ORDER BY version DESC LIMIT 1", false, 0);
	pgm_spi_check(rc, SPI_OK_SELECT, "reading public.schema_migrations");
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

/* SetVersion: the table holds exactly (version, dirty). */
static void
golang_set(PgmTracked *t, int64 version, bool dirty)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			argtypes[2] = {INT8OID, BOOLOID};
	Datum		values[2];
	PgmAsOwner	owner;
	Oid			relid;
	int			nestlevel;
	int			rc;

	if (!t->exists)
	{
		Oid			nsp = get_namespace_oid("public", true);

		/* created by the caller, who then owns it */
		if (!OidIsValid(nsp))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_SCHEMA),
					 errmsg("schema \"public\" does not exist"),
					 errdetail("golang-migrate's table public.schema_migrations is created there on first use.")));
		if (pg_namespace_aclcheck(nsp, GetUserId(), ACL_CREATE) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to create table public.schema_migrations"),
					 errdetail("golang-migrate's table is created on first use, and role \"%s\" has no CREATE privilege on schema public.",
							   GetUserNameFromId(GetUserId(), false)),
					 errhint("Grant CREATE on schema public to the role, or create the table first: CREATE TABLE public.schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL).")));
		nestlevel = pgm_safe_sql_begin();
		rc = SPI_execute("CREATE TABLE public.schema_migrations ("
						 "version bigint NOT NULL PRIMARY KEY, "
						 "dirty boolean NOT NULL)", false, 0);
		pgm_spi_check(rc, SPI_OK_UTILITY, "creating public.schema_migrations");
		pgm_safe_sql_end(nestlevel);
		CommandCounterIncrement();
	}
	relid = golang_relid();
	check_table(relid);

	/* as the table's owner: its triggers and rules never run as us */
	pgm_as_owner_begin(relid, &owner);
	rc = SPI_execute("DELETE FROM public.schema_migrations", false, 0);
	pgm_spi_check(rc, SPI_OK_DELETE, "updating public.schema_migrations");
	values[0] = Int64GetDatum(version);
	values[1] = BoolGetDatum(dirty);
	rc = SPI_execute_with_args("INSERT INTO public.schema_migrations (version, dirty) "
							   "VALUES ($1, $2)",
							   2, argtypes, values, NULL, false, 0);
	pgm_spi_check(rc, SPI_OK_INSERT, "updating public.schema_migrations");
	pgm_as_owner_end(&owner);
	MemoryContextSwitchTo(caller);

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

/*
 * golang-migrate v4's key: CRC-32 (IEEE) of "public\0schema_migrations\0"
 * and the database name, times a salt, as uint32.  Older golang-migrate
 * versions hashed the database name alone; they are not excluded.
 */
static int64
golang_lock_key(void)
{
	const char *parts[3] = {"public", "schema_migrations", NULL};
	pg_crc32	crc;
	int			i;

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
	return (int64) (uint32) (crc * GOLANG_MIGRATE_SALT);
}

const PgmTracker pgm_tracker_golang = {
	.name = "golang-migrate",
	.table = "public.schema_migrations",
	.read = golang_read,
	.write_applied = golang_write_applied,
	.write_failed = golang_write_failed,
	.lock_key = golang_lock_key,
};
