/*-------------------------------------------------------------------------
 *
 * progress.h
 *	  pgmigrate.progress: how far an unfinished no-transaction migration
 *	  got, per version and direction.
 *
 * IDENTIFICATION
 *	  src/progress.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_PROGRESS_H
#define PGM_PROGRESS_H

#include "folder.h"

/* Values of pgmigrate.progress.direction */
#define PGM_DIRECTION_UP	"up"
#define PGM_DIRECTION_DOWN	"down"

/* No progress recorded: the migration starts at its first statement. */
#define PGM_PROGRESS_NONE	(-1)

/*
 * All of these need an open SPI connection; each pins search_path itself.
 */

/*
 * The statements of file (nstmts of them) that an earlier attempt
 * completed, validated before use: PGM_PROGRESS_NONE when nothing was
 * recorded or the row was recorded for other contents of the file;
 * otherwise a count in [0, nstmts).  A row that cannot be trusted (a count
 * out of that range, a NULL, a column of another type, more than one row)
 * is an ERROR (XX001): resuming from it would run statements twice or skip
 * them.
 */
extern int	pgm_progress_read(const PgmFile *file, const char *direction, int nstmts);

/* Does pgmigrate.progress hold a row for version in direction? */
extern bool pgm_progress_exists(int64 version, const char *direction);

/* Records that the first done statements of file took effect. */
extern void pgm_progress_write(const PgmFile *file, const char *direction, int done);

/*
 * A batched data migration's run so far: batches and rows changed by this
 * backend's run (pid and started_at say which run, for migrate_jobs and
 * migrate_status).
 */
extern void pgm_progress_write_batch(const PgmFile *file, int64 batches, int64 rows);

/* Forgets the progress of version in direction (the migration finished). */
extern void pgm_progress_clear(int64 version, const char *direction);

/*
 * Forgets every progress row, calling cleared (when not NULL) for each:
 * after migrate_force or migrate_repair the schema is what a human says it
 * is, and no retry may resume from what an earlier attempt recorded.
 * Returns how many rows there were.
 */
typedef void (*PgmProgressCallback) (int64 version, const char *direction,
									 int done, void *arg);
extern uint64 pgm_progress_clear_all(PgmProgressCallback cleared, void *arg);

#endif							/* PGM_PROGRESS_H */
