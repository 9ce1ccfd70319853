/*-------------------------------------------------------------------------
 *
 * unit.h
 *	  One unit of work outside a caller's transaction: the bracket that the
 *	  worker, jobs and migrate_run use for each committed step.
 *
 * IDENTIFICATION
 *	  src/unit.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_UNIT_H
#define PGM_UNIT_H

/*
 * pg_cron's bracket: statement timestamp, transaction (always READ
 * COMMITTED), snapshot and SPI connection.  pgm_unit_end commits and returns to the memory context that
 * was current at pgm_unit_begin, so callers keep allocating where they were.
 * An error in between is rolled back by pgm_unit_catch.
 */
extern void pgm_unit_begin(void);
extern void pgm_unit_end(void);

/*
 * Inside PG_CATCH of a unit: copies the error into cxt, rolls the whole
 * transaction back and returns the error, with cxt current.
 */
extern ErrorData *pgm_unit_catch(MemoryContext cxt);

/*
 * Runs fn(arg) in an internal subtransaction, allocating in the caller's
 * memory context.  Returns NULL, or the error (copied into the caller's
 * context) once the subtransaction is rolled back; either way the caller's
 * memory context and resource owner are current again.  Query cancels and
 * resource exhaustion are re-thrown: they are not the work's own failure.
 */
typedef void (*PgmTryFn) (void *arg);
extern ErrorData *pgm_try_subxact(PgmTryFn fn, void *arg);

/* "SQLSTATE: message (detail)" on one line, for jobs, history and logs. */
extern char *pgm_error_line(ErrorData *edata);

/*
 * Runs fn(arg) in a subtransaction that is rolled back after it, whether
 * it returned or threw (which propagates): for reads whose transaction
 * memory must not pile up in a long-running call.
 */
extern void pgm_rolled_back_subxact(PgmTryFn fn, void *arg);

/* A deep copy of edata in CurrentMemoryContext, for ReThrowError later. */
extern ErrorData *pgm_error_copy(const ErrorData *edata);

#endif							/* PGM_UNIT_H */
