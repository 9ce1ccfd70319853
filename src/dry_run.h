/*-------------------------------------------------------------------------
 *
 * dry_run.h
 *	  migrate_apply(..., dry_run => true): run the pending migrations for
 *	  real, then roll them back.
 *
 * IDENTIFICATION
 *	  src/dry_run.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_DRY_RUN_H
#define PGM_DRY_RUN_H

#include "apply.h"

/*
 * pgm_apply_folder in a subtransaction that is rolled back, whether it
 * succeeds or fails: nothing it did persists (objects, history, the tool's
 * table).  On success emit is called once per migration that ran, with its
 * duration, after the roll back; on failure its error is raised unchanged.
 * The migration lock is taken first, for the rest of the caller's
 * transaction, as migrate_apply holds it.
 */
extern void pgm_apply_folder_dry_run(const char *dir, const PgmPlanOptions *opts,
									 PgmAppliedCallback emit, void *arg);

#endif							/* PGM_DRY_RUN_H */
