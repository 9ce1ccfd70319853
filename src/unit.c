/*-------------------------------------------------------------------------
 *
 * unit.c
 *	  The transaction bracket of work done outside a caller's transaction.
 *
 * The bracket nests no further than one level: a unit is begun and ended
 * (or caught) before the next begins.  The caller's memory context is kept
 * in a static for that reason, so that SPI_finish and the commit, which
 * leave CurrentMemoryContext pointing at freed or transaction memory, never
 * leak into what the caller allocates next.
 *
 * IDENTIFICATION
 *	  src/unit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "errctx.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "unit.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

static MemoryContext unit_caller_cxt = NULL;

void
pgm_unit_begin(void)
{
	unit_caller_cxt = CurrentMemoryContext;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();

	/*
	 * READ COMMITTED whatever default_transaction_isolation says: what a
	 * unit reads after waiting for the migration lock must include what the
	 * run it waited for committed, or two runs apply the same migrations.
	 */
	XactIsoLevel = XACT_READ_COMMITTED;
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

void
pgm_unit_end(void)
{
	int			rc = SPI_finish();

	if (rc != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(rc));
	PopActiveSnapshot();
	CommitTransactionCommand();
	if (unit_caller_cxt != NULL)
		MemoryContextSwitchTo(unit_caller_cxt);
	unit_caller_cxt = NULL;
}

ErrorData *
pgm_unit_catch(MemoryContext cxt)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	AbortCurrentTransaction();
	MemoryContextSwitchTo(cxt);
	unit_caller_cxt = NULL;
	return edata;
}

ErrorData *
pgm_try_subxact(PgmTryFn fn, void *arg)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcontext);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcontext);
	CurrentResourceOwner = oldowner;

	if (edata != NULL &&
		(ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_OPERATOR_INTERVENTION ||
		 ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_INSUFFICIENT_RESOURCES))
		ReThrowError(edata);
	return edata;
}

void
pgm_rolled_back_subxact(PgmTryFn fn, void *arg)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcontext);
	PG_TRY();
	{
		fn(arg);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
		ReThrowError(edata);
	}
	PG_END_TRY();
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(oldcontext);
	CurrentResourceOwner = oldowner;
}

static char *
copy_or_null(const char *s)
{
	return s != NULL ? pstrdup(s) : NULL;
}

ErrorData *
pgm_error_copy(const ErrorData *edata)
{
	ErrorData  *copy = palloc(sizeof(ErrorData));

	/* as CopyErrorData: filename, funcname and the domains are constants */
	memcpy(copy, edata, sizeof(ErrorData));
	copy->message = copy_or_null(edata->message);
	copy->detail = copy_or_null(edata->detail);
	copy->detail_log = copy_or_null(edata->detail_log);
	copy->hint = copy_or_null(edata->hint);
	copy->context = copy_or_null(edata->context);
	copy->backtrace = copy_or_null(edata->backtrace);
	copy->schema_name = copy_or_null(edata->schema_name);
	copy->table_name = copy_or_null(edata->table_name);
	copy->column_name = copy_or_null(edata->column_name);
	copy->datatype_name = copy_or_null(edata->datatype_name);
	copy->constraint_name = copy_or_null(edata->constraint_name);
	copy->internalquery = copy_or_null(edata->internalquery);
	copy->assoc_context = CurrentMemoryContext;
	return copy;
}

char *
pgm_error_line(ErrorData *edata)
{
	return pgm_error_summary(edata, true);
}
