/*-------------------------------------------------------------------------
 *
 * plan_repeatable.h
 *	  The repeatable migrations of a plan (plan_repeatable.c).
 *
 * IDENTIFICATION
 *	  src/plan_repeatable.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_PLAN_REPEATABLE_H
#define PGM_PLAN_REPEATABLE_H

#include "plan.h"

/*
 * Fills plan->repeatables from the folder's repeatable migrations (folder
 * may be NULL: history only) and the history's, ascending by description,
 * each with its state, adopting the tool's newest run where it has the
 * file's checksum.  A name only the history knows, not applied, is left
 * out.  Called by pgm_plan_build once plan->folder and plan->tracked are set.
 */
extern void pgm_plan_merge_repeatables(PgmPlan *plan, PgmFolder *folder, PgmHistory *hist);

#endif							/* PGM_PLAN_REPEATABLE_H */
