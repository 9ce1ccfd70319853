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

#include "executor/spi.h"
#include "safe_sql.h"
#include "utils/guc.h"

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
pgm_spi_check(int rc, int expected, const char *what)
{
	if (rc != expected)
		elog(ERROR, "%s failed: %s", what, SPI_result_code_string(rc));
}
