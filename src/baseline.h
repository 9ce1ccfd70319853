/*-------------------------------------------------------------------------
 *
 * baseline.h
 *	  migrate_baseline: record a folder's migrations up to a version as
 *	  applied without running them (a database that has the schema already).
 *
 * IDENTIFICATION
 *	  src/baseline.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_BASELINE_H
#define PGM_BASELINE_H

#include "apply.h"

/*
 * Records every migration of dir up to version (a migration of the folder)
 * as baselined, in the caller's transaction: a history row each, by the
 * caller, with a note, and the tool's table by track.h's one rule.
 * Refuses, before recording anything, when one of them is applied or
 * failed.  emit is called once per migration recorded, with duration -1.
 */
extern void pgm_baseline_folder(const char *dir, int64 version,
								PgmAppliedCallback emit, void *arg);

#endif							/* PGM_BASELINE_H */
