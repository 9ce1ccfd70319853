/*-------------------------------------------------------------------------
 *
 * revert.h
 *	  Going down: revert applied migrations with their down migrations,
 *	  inside the caller's transaction (migrate_down, migrate_to).
 *
 * IDENTIFICATION
 *	  src/revert.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_REVERT_H
#define PGM_REVERT_H

#include "apply.h"

/* Which applied migrations a call reverts, newest first. */
typedef struct PgmRevertOptions
{
	bool		all;			/* every applied migration */
	int			steps;			/* else, without has_to: the newest steps */
	bool		has_to;			/* else: every applied version above to */
	int64		to;				/* 0 or a version of the folder */
} PgmRevertOptions;

/*
 * Reverts what opts selects, all or nothing, in the caller's transaction:
 * every down migration is read and parsed before any runs; a migration
 * without one is refused first, naming it.  Records a "reverted" history
 * row per migration and writes the tool's table as the tool's down would.
 * emit is called once per migration reverted, newest first.
 */
extern void pgm_revert_folder(const char *dir, const PgmRevertOptions *opts,
							  PgmAppliedCallback emit, void *arg);

#endif							/* PGM_REVERT_H */
