/*-------------------------------------------------------------------------
 *
 * batch.h
 *	  Batched data migrations: a file marked "-- pg_migrate:batch" holds one
 *	  data-changing statement that changes at most one batch of rows and
 *	  skips rows already done; it runs again and again until an execution
 *	  changes no row.
 *
 * IDENTIFICATION
 *	  src/batch.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_BATCH_H
#define PGM_BATCH_H

#include "executor/spi.h"
#include "script.h"

/* Defines pg_migrate.batch_pause, batch_max_lag and batch_limit. */
extern void pgm_batch_init(void);

/*
 * The function path: every batch inside the caller's transaction until one
 * changes no row; returns the duration in milliseconds.
 */
extern double pgm_batch_run_atomic(PgmScript *script, const PgmFailHints *hints);

/*
 * The worker path's steps, one batch per transaction (apply_worker.c):
 * one batch run (number is 1-based, for messages) returning the rows it
 * changed, after checking pg_migrate.batch_limit; and, between batches, the
 * pause and the wait for standbys to replay, outside any transaction.
 */
extern uint64 pgm_batch_execute(PgmScript *script, int64 number);
extern void pgm_batch_throttle(PgmScript *script);

/* Replay lag of the slowest streaming standby in bytes; -1 without one. */
extern int64 pgm_batch_standby_lag(void);

#endif							/* PGM_BATCH_H */
