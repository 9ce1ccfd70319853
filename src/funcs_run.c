/*-------------------------------------------------------------------------
 *
 * funcs_run.c
 *	  CALL migrate_run(dir): the worker path in the caller's own session,
 *	  one commit per migration; what a deploy script runs.
 *
 * A procedure called at top level (CALL outside a transaction block) may
 * end its transaction and start new ones, as VACUUM does: the CALL's
 * transaction is committed first (the portal's snapshot forgotten, so this
 * session holds no snapshot while it waits for the migration lock or while
 * another session builds an index concurrently), then pgm_run_folder
 * (apply_worker.c) runs the folder exactly as the background worker does,
 * and a transaction is started again for the CALL to finish in.
 *
 * Only a top-level CALL can do this.  Inside a transaction block the
 * caller's transaction must not be committed under it (25001, pointing to
 * migrate_apply); from a procedure or DO block, the statements a
 * no-transaction migration runs (CREATE INDEX CONCURRENTLY) would commit
 * under the caller's SPI connection, so that is refused too.
 *
 * A failed migration rolls back, is recorded failed (history row, the
 * tool's table dirty) in a transaction of its own, and then its error is
 * raised unchanged (SQLSTATE, message, file and line): psql -v
 * ON_ERROR_STOP=1 exits non-zero, and what committed before it stays.  A
 * cancel (pg_cancel_backend, statement_timeout, which times the whole CALL)
 * is such a failure.
 *
 * IDENTIFICATION
 *	  src/funcs_run.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "apply_worker.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "format.h"
#include "funcs.h"
#include "nodes/parsenodes.h"
#include "policy.h"
#include "portability/instr_time.h"
#include "unit.h"
#include "utils/builtins.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
#include "version_arg.h"

PG_FUNCTION_INFO_V1(migrate_run);
PG_FUNCTION_INFO_V1(migrate_run_text);

/* A top-level CALL outside a transaction block, or an ERROR. */
static void
check_top_level(FunctionCallInfo fcinfo)
{
	CallContext *call = (CallContext *) fcinfo->context;

	if (call == NULL || !IsA(call, CallContext) || call->atomic ||
		IsTransactionBlock())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("migrate_run cannot run inside a transaction block"),
				 errdetail("It commits each migration on its own, which would commit the surrounding transaction."),
				 errhint("CALL migrate_run outside BEGIN ... COMMIT, or use migrate_apply(), which applies the migrations inside your transaction, all or nothing.")));
	if (SPI_inside_nonatomic_context())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("migrate_run cannot be called from a procedure or DO block"),
				 errdetail("Statements such as CREATE INDEX CONCURRENTLY in a migration commit transactions of their own, which a calling procedure cannot survive."),
				 errhint("Run CALL migrate_run(...) as a statement of its own.")));
}

/*
 * migrate_run(dir text, target bigint DEFAULT NULL,
 *			   out_of_order boolean DEFAULT false,
 *			   ignore_missing boolean DEFAULT false, lint text DEFAULT NULL)
 *	  a procedure
 *
 * migrate_run_text: the overload whose target is text (a Flyway version,
 * '1.10'); the target is the folder's version key either way
 * (version_arg.c), resolved before the CALL's transaction ends.
 */
static Datum
run_common(FunctionCallInfo fcinfo, bool text_target)
{
	MemoryContext cxt = CurrentMemoryContext;
	PgmPlanOptions plan;
	PgmRunOptions opts;
	PgmRunResult result;
	instr_time	start;
	instr_time	elapsed;
	char	   *dir;

	pgm_check_access();
	check_top_level(fcinfo);
	dir = pgm_folder_argument(fcinfo, 0);
	memset(&plan, 0, sizeof(plan));
	plan.has_target = !PG_ARGISNULL(1);
	plan.out_of_order = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	plan.ignore_missing = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
	if (!PG_ARGISNULL(4))
		plan.lint = text_to_cstring(PG_GETARG_TEXT_PP(4));
	if (PG_NARGS() > 5 && !PG_ARGISNULL(5))
		plan.format = text_to_cstring(PG_GETARG_TEXT_PP(5));
	pgm_format_argument(plan.format);	/* a bad name fails here, at once */
	pgm_check_primary();
	if (plan.has_target)
		plan.target = pgm_version_argument(fcinfo, 1, text_target, dir, false);

	memset(&opts, 0, sizeof(opts));
	opts.dir = dir;
	opts.plan = &plan;
	opts.lock_timeout_ms = -1;	/* the session's lock_timeout */
	opts.fix_hint = "Fix the migration file and CALL migrate_run again; the migrations before it stay applied.";
	opts.record_cancel = true;
	opts.in_session = true;

	INSTR_TIME_SET_CURRENT(start);

	/* end the CALL's transaction, holding no snapshot from here on */
	ForgetPortalSnapshots();
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);

	pgm_run_folder(&opts, &result);

	/* the CALL finishes in a transaction, as after a COMMIT in PL/pgSQL */
	StartTransactionCommand();
	MemoryContextSwitchTo(cxt);

	if (result.edata != NULL)
		ReThrowError(result.edata);
	if (result.failed || result.canceled)
		elog(ERROR, "migration run ended without its error: %s",
			 result.error ? result.error : "(none)");

	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	if (result.applied == 0)
		ereport(NOTICE,
				(errmsg("no migrations to apply in folder \"%s\"", dir)));
	else
		ereport(NOTICE,
				(errmsg_plural("applied %d migration in %.3f ms",
							   "applied %d migrations in %.3f ms",
							   result.applied,
							   result.applied, INSTR_TIME_GET_MILLISEC(elapsed))));
	PG_RETURN_VOID();
}

Datum
migrate_run(PG_FUNCTION_ARGS)
{
	return run_common(fcinfo, false);
}

Datum
migrate_run_text(PG_FUNCTION_ARGS)
{
	return run_common(fcinfo, true);
}
