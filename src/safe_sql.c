/*-------------------------------------------------------------------------
 *
 * safe_sql.c
 *	  The pinned search_path of pg_migrate's bookkeeping SQL.
 *
 * IDENTIFICATION
 *	  src/safe_sql.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "safe_sql.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

int
pgm_safe_sql_begin(void)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

void
pgm_safe_sql_end(int nestlevel)
{
	AtEOXact_GUC(true, nestlevel);
}

void
pgm_as_owner_begin(Oid relid, PgmAsOwner *save)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);

	GetUserIdAndSecContext(&save->save_userid, &save->save_sec_context);
	SetUserIdAndSecContext(owner, save->save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	save->nestlevel = pgm_safe_sql_begin();
}

void
pgm_as_bookkeeping_owner_begin(const char *table, PgmAsOwner *save)
{
	Oid			relid = get_relname_relid(table, get_namespace_oid("pgmigrate", false));

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"pgmigrate.%s\" does not exist", table)));
	pgm_as_owner_begin(relid, save);
}

void
pgm_as_owner_end(PgmAsOwner *save)
{
	pgm_safe_sql_end(save->nestlevel);
	SetUserIdAndSecContext(save->save_userid, save->save_sec_context);
}

void
pgm_spi_check(int rc, int expected, const char *what)
{
	if (rc != expected)
		elog(ERROR, "%s failed: %s", what, SPI_result_code_string(rc));
}
