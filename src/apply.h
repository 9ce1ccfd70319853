/*-------------------------------------------------------------------------
 *
 * apply.h
 *	  The atomic path: a folder's pending migrations applied inside the
 *	  caller's transaction, all or nothing.
 *
 * IDENTIFICATION
 *	  src/apply.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_APPLY_H
#define PGM_APPLY_H

#include "plan.h"

/* Called once per migration applied, in order. */
typedef void (*PgmAppliedCallback) (int64 version, const char *name,
									double duration_ms, void *arg);

/*
 * Applies the pending migrations of dir inside the current transaction,
 * all or nothing.  Opens and closes its own SPI connection.
 */
extern void pgm_apply_folder(const char *dir, const PgmPlanOptions *opts,
							 PgmAppliedCallback emit, void *arg);

#endif							/* PGM_APPLY_H */
