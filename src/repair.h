/*-------------------------------------------------------------------------
 *
 * repair.h
 *	  Realign the history with a folder after a human checked it.
 *
 * IDENTIFICATION
 *	  src/repair.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_REPAIR_H
#define PGM_REPAIR_H

/* Called once per history change made. */
typedef void (*PgmRepairCallback) (int64 version, const char *name,
								   const char *action, void *arg);

/*
 * Records the files' checksums for modified migrations and clears failed
 * attempts (Flyway's repair), and forgets the progress of unfinished
 * no-transaction migrations so that no retry resumes past statements a
 * hand repair may have undone.  Runs no migration SQL.
 */
extern void pgm_repair_folder(const char *dir, PgmRepairCallback emit, void *arg);

#endif							/* PGM_REPAIR_H */
