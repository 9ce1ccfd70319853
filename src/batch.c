/*-------------------------------------------------------------------------
 *
 * batch.c
 *	  Batched data migrations: one UPDATE, DELETE or INSERT ... SELECT run
 *	  again and again until an execution changes no row.
 *
 * A file whose first line (after a BOM, blank lines and other comments) is
 * "-- pg_migrate:batch" holds exactly one data-changing statement that
 * changes at most one batch of rows and excludes the rows already done:
 *
 *	 -- pg_migrate:batch
 *	 UPDATE users SET email_lower = lower(email)
 *	 WHERE id IN (SELECT id FROM users WHERE email_lower IS NULL
 *				  ORDER BY id LIMIT 1000);
 *
 * Anything else in such a file is refused when it is parsed (script.c), before
 * anything runs.  The statement is planned again for each batch, as a psql
 * loop would: the rows left change from batch to batch, and a plan made
 * when every row was left (a sequential scan) would stay slow to the end.
 * In each path: in the function path every batch runs in the caller's
 * transaction; in the worker path (apply_worker.c) each batch is a
 * transaction of its own, committed, so other sessions see the progress and
 * wait for at most one batch.  The migration is applied when an execution
 * changes no row, in that execution's transaction.
 *
 * A statement that never reaches zero rows (it changes rows it does not
 * exclude next time) fails after pg_migrate.batch_limit batches.  Between
 * batches the worker path waits pg_migrate.batch_pause, and, when a
 * streaming standby's replay is more than pg_migrate.batch_max_lag behind
 * this server's WAL, until it catches up (the standby's position is read
 * from the WAL senders' shared memory, which needs no privilege: a role that
 * could not read pg_stat_replication would otherwise never be throttled).
 *
 * IDENTIFICATION
 *	  src/batch.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "batch.h"
#include "bgw_common.h"
#include "errctx.h"
#include "exec_spi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "replication/walsender.h"
#include "replication/walsender_private.h"
#include "storage/spin.h"
#include "utils/guc.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

static int	batch_pause_ms = 0;
static int	batch_max_lag_kb = -1;
static int	batch_limit = 1000000;

void
pgm_batch_init(void)
{
	DefineCustomIntVariable("pg_migrate.batch_pause",
							"Sets how long the worker path waits between two batches of a batched data migration.",
							"0 runs the next batch at once.",
							&batch_pause_ms,
							0, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pg_migrate.batch_max_lag",
							"Sets how far a streaming standby's replay may fall behind before the next batch of a batched data migration waits.",
							"-1 turns the check off.",
							&batch_max_lag_kb,
							-1, -1, INT_MAX,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pg_migrate.batch_limit",
							"Sets how many batches a batched data migration may run before it fails.",
							"A statement that changes rows it does not exclude next time would otherwise run for ever.",
							&batch_limit,
							1000000, 1, INT_MAX,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
}

/* The batch limit reached: an ERROR naming the file and the setting. */
static void
raise_limit(PgmScript *script)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("batch migration file \"%s\" still changed rows after %d batches",
					script->file->filename, batch_limit),
			 errdetail("Its statement must exclude the rows it already changed, so that an execution eventually changes none."),
			 errhint("Fix the statement's WHERE clause, or raise pg_migrate.batch_limit if the data really needs more batches."),
			 errcontext("migration file \"%s\", line %d", script->file->filename,
						script->stmts[0].line)));
}

uint64
pgm_batch_execute(PgmScript *script, int64 number)
{
	int			rc;
	uint64		processed;

	if (number > batch_limit)
		raise_limit(script);
	CHECK_FOR_INTERRUPTS();
	rc = SPI_execute(pgm_statement_text(script, 0), false, 0);
	if (rc != SPI_OK_UPDATE && rc != SPI_OK_DELETE && rc != SPI_OK_INSERT &&
		rc != SPI_OK_UPDATE_RETURNING && rc != SPI_OK_DELETE_RETURNING &&
		rc != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "unexpected result of a batch: %s", SPI_result_code_string(rc));
	processed = SPI_processed;
	SPI_freetuptable(SPI_tuptable);
	return processed;
}

/* Every batch in the caller's transaction; a failure gets the file, line and hint. */
double
pgm_batch_run_atomic(PgmScript *script, const PgmFailHints *hints)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	instr_time	start;
	instr_time	elapsed;

	INSTR_TIME_SET_CURRENT(start);
	PG_TRY();
	{
		int64		number;

		for (number = 1; pgm_batch_execute(script, number) > 0; number++)
			;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		if (edata->context == NULL || strstr(edata->context, "migration file ") == NULL)
			pgm_decorate_error(script, 0, edata, false, hints);
		ThrowErrorData(edata);
	}
	PG_END_TRY();
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	return INSTR_TIME_GET_MILLISEC(elapsed);
}

int64
pgm_batch_standby_lag(void)
{
	XLogRecPtr	oldest = InvalidXLogRecPtr;
	XLogRecPtr	now;
	int			i;

	if (WalSndCtl == NULL || RecoveryInProgress())
		return -1;
	for (i = 0; i < max_wal_senders; i++)
	{
		WalSnd	   *walsnd = &WalSndCtl->walsnds[i];
		XLogRecPtr	apply;
		WalSndState state;
		pid_t		pid;

		SpinLockAcquire(&walsnd->mutex);
		pid = walsnd->pid;
		state = walsnd->state;
		apply = walsnd->apply;
		SpinLockRelease(&walsnd->mutex);

		/* standbys streaming WAL (a base backup's sender sends none) */
		if (pid == 0 || state != WALSNDSTATE_STREAMING || XLogRecPtrIsInvalid(apply))
			continue;
		if (XLogRecPtrIsInvalid(oldest) || apply < oldest)
			oldest = apply;
	}
	if (XLogRecPtrIsInvalid(oldest))
		return -1;
	now = GetXLogWriteRecPtr();
	return now > oldest ? (int64) (now - oldest) : 0;
}

void
pgm_batch_throttle(PgmScript *script)
{
	TimestampTz next_log = 0;

	if (batch_pause_ms > 0)
		pgm_wait(batch_pause_ms, PG_WAIT_EXTENSION);
	if (batch_max_lag_kb < 0)
		return;
	for (;;)
	{
		int64		lag = pgm_batch_standby_lag();
		TimestampTz now;

		CHECK_FOR_INTERRUPTS();
		if (lag <= (int64) batch_max_lag_kb * 1024)
			return;
		now = GetCurrentTimestamp();
		if (now >= next_log)
		{
			ereport(LOG,
					(errmsg("batch migration " INT64_FORMAT " \"%s\" waits for a standby to replay",
							script->file->version, script->file->name),
					 errdetail("The slowest streaming standby replays " INT64_FORMAT " kB behind; pg_migrate.batch_max_lag is %d kB.",
							   lag / 1024, batch_max_lag_kb)));
			next_log = TimestampTzPlusMilliseconds(now, 10000);
		}
		pgm_wait(100L, PG_WAIT_EXTENSION);
	}
}
