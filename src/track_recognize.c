/*-------------------------------------------------------------------------
 *
 * track_recognize.c
 *	  Which migration tool a version table belongs to, from its columns.
 *
 * The DDL each tool issues for its table (read from their sources):
 *	 - golang-migrate (database/postgres): version bigint NOT NULL PRIMARY
 *	   KEY, dirty boolean NOT NULL;
 *	 - Ecto (ecto_sql's SchemaMigration): version bigint PRIMARY KEY,
 *	   inserted_at timestamp(0);
 *	 - dbmate: version varchar PRIMARY KEY (dbmate 2.x; older releases gave it a length)
 *	   Rails: version character varying PRIMARY KEY;
 *	 - goose: goose_db_version (id, version_id bigint, is_applied boolean,
 *	   tstamp);
 *	 - sqlx: _sqlx_migrations (version bigint, description, installed_on,
 *	   success boolean, checksum bytea, execution_time);
 *	 - Flyway: flyway_schema_history (installed_rank integer, version
 *	   varchar(50), description, type, script, checksum integer,
 *	   installed_by, installed_on, execution_time, success boolean);
 *	 - diesel: __diesel_schema_migrations (version varchar(50), run_on
 *	   timestamp);
 *	 - Prisma: _prisma_migrations (id varchar(36), checksum varchar(64),
 *	   finished_at, migration_name, logs, rolled_back_at, started_at,
 *	   applied_steps_count);
 *	 - Drizzle: drizzle.__drizzle_migrations (id serial, hash text,
 *	   created_at bigint).
 * Columns that migrations add to a table do not change what it is: only
 * the columns that identify a tool are looked at.
 *
 * Everything is read from the catalog caches: no SQL runs, so neither the
 * search_path nor anything the table's owner controls takes part.
 *
 * IDENTIFICATION
 *	  src/track_recognize.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "track_recognize.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

/* The type of relid's column name, or InvalidOid when it has none. */
static Oid
column_type(Oid relid, const char *name)
{
	AttrNumber	attnum = get_attnum(relid, name);

	return attnum != InvalidAttrNumber && attnum > 0 ?
		get_atttype(relid, attnum) : InvalidOid;
}

static bool
is_integer(Oid type)
{
	return type == INT8OID || type == INT4OID || type == INT2OID;
}

static bool
is_text(Oid type)
{
	return type == TEXTOID || type == VARCHAROID;
}

PgmTableShape
pgm_track_recognize(Oid relid)
{
	Oid			version = column_type(relid, "version");

	if (is_integer(version) && column_type(relid, "dirty") == BOOLOID)
		return PGM_SHAPE_GOLANG_MIGRATE;
	if (version == INT8OID && OidIsValid(column_type(relid, "inserted_at")))
		return PGM_SHAPE_ECTO;
	if (version == INT8OID && column_type(relid, "success") == BOOLOID &&
		column_type(relid, "checksum") == BYTEAOID)
		return PGM_SHAPE_SQLX;
	if (is_integer(column_type(relid, "installed_rank")) && is_text(version) &&
		is_text(column_type(relid, "script")) &&
		is_integer(column_type(relid, "checksum")) &&
		column_type(relid, "success") == BOOLOID)
		return PGM_SHAPE_FLYWAY;
	if (is_text(version) && OidIsValid(column_type(relid, "run_on")))
		return PGM_SHAPE_DIESEL;
	if (version == VARCHAROID && !OidIsValid(column_type(relid, "dirty")))
		return PGM_SHAPE_DBMATE_RAILS;
	if (is_integer(column_type(relid, "version_id")) &&
		column_type(relid, "is_applied") == BOOLOID)
		return PGM_SHAPE_GOOSE;
	if (is_text(column_type(relid, "id")) && is_text(column_type(relid, "checksum")) &&
		is_text(column_type(relid, "migration_name")) &&
		OidIsValid(column_type(relid, "finished_at")) &&
		OidIsValid(column_type(relid, "rolled_back_at")))
		return PGM_SHAPE_PRISMA;
	if (OidIsValid(column_type(relid, "id")) && is_text(column_type(relid, "hash")) &&
		is_integer(column_type(relid, "created_at")))
		return PGM_SHAPE_DRIZZLE;
	return PGM_SHAPE_UNKNOWN;
}

const char *
pgm_track_shape_name(PgmTableShape shape)
{
	switch (shape)
	{
		case PGM_SHAPE_GOLANG_MIGRATE:
			return "golang-migrate";
		case PGM_SHAPE_ECTO:
			return "Ecto";
		case PGM_SHAPE_DBMATE_RAILS:
			return "dbmate/Rails";
		case PGM_SHAPE_GOOSE:
			return "goose";
		case PGM_SHAPE_SQLX:
			return "sqlx";
		case PGM_SHAPE_FLYWAY:
			return "Flyway";
		case PGM_SHAPE_DIESEL:
			return "diesel";
		case PGM_SHAPE_PRISMA:
			return "Prisma";
		case PGM_SHAPE_DRIZZLE:
			return "Drizzle";
		case PGM_SHAPE_UNKNOWN:
			break;
	}
	return "unknown";
}

char *
pgm_track_describe_columns(Oid relid)
{
	StringInfoData buf;
	HeapTuple	reltup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	int			natts;
	int			count = 0;
	AttrNumber	attnum;

	if (!HeapTupleIsValid(reltup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	natts = ((Form_pg_class) GETSTRUCT(reltup))->relnatts;
	ReleaseSysCache(reltup);

	initStringInfo(&buf);
	for (attnum = 1; attnum <= natts; attnum++)
	{
		HeapTuple	tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid),
											Int16GetDatum(attnum));
		Form_pg_attribute att;

		if (!HeapTupleIsValid(tuple))
			continue;
		att = (Form_pg_attribute) GETSTRUCT(tuple);
		if (!att->attisdropped)
		{
			appendStringInfo(&buf, "%s%s %s", count > 0 ? ", " : "",
							 quote_identifier(NameStr(att->attname)),
							 format_type_with_typemod(att->atttypid, att->atttypmod));
			count++;
		}
		ReleaseSysCache(tuple);
	}
	return count > 0 ? buf.data : NULL;
}
