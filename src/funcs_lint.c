/*-------------------------------------------------------------------------
 *
 * funcs_lint.c
 *	  migrate_lint: which statement of a folder takes which lock on which
 *	  table, from the parse trees, the live catalog and, on request, a
 *	  traced dry run.
 *
 * Thin: checks the caller and the arguments, runs lint.c and returns its
 * findings as rows in per-query memory.
 *
 * IDENTIFICATION
 *	  src/funcs_lint.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "compat.h"
#include "fmgr.h"
#include "funcapi.h"
#include "funcs.h"
#include "lint.h"
#include "policy.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(migrate_lint);

/*
 * migrate_lint(dir text, pending_only boolean DEFAULT true,
 *				trace boolean DEFAULT false)
 *	  RETURNS TABLE(version bigint, file text, line integer, statement text,
 *					rule text, severity text, message text, hint text)
 */
Datum
migrate_lint(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo;
	char	   *dir;
	bool		pending_only;
	bool		trace;
	ListCell   *lc;

	pgm_check_access();
	dir = pgm_folder_argument(fcinfo, 0);
	pgm_format_arg(fcinfo, 3);
	pending_only = PG_ARGISNULL(1) || PG_GETARG_BOOL(1);
	trace = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	if (trace && !pending_only)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trace requires pending_only"),
				 errdetail("The traced dry run runs the pending migrations; applied ones would run a second time."),
				 errhint("Call migrate_lint with pending_only => true, or without trace.")));
	if (trace)
		pgm_check_primary();

	pgm_init_materialized_srf(fcinfo);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	foreach(lc, pgm_lint_folder(dir, pending_only, trace))
	{
		PgmProblem *p = (PgmProblem *) lfirst(lc);
		Datum		values[8];
		bool		nulls[8] = {false, false, false, false, false, false, false, false};

		values[0] = Int64GetDatum(p->version);
		values[1] = CStringGetTextDatum(p->file);
		values[2] = Int32GetDatum(p->line);
		values[3] = CStringGetTextDatum(p->excerpt);
		values[4] = CStringGetTextDatum(p->rule);
		values[5] = CStringGetTextDatum(p->severity);
		values[6] = CStringGetTextDatum(p->problem);
		values[7] = CStringGetTextDatum(p->hint);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
