/*-------------------------------------------------------------------------
 *
 * plan.h
 *	  Compare a folder with what was recorded: each migration's state.
 *
 * IDENTIFICATION
 *	  src/plan.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_PLAN_H
#define PGM_PLAN_H

#include "folder.h"
#include "history.h"

typedef enum PgmState
{
	PGM_STATE_PENDING,
	PGM_STATE_APPLIED,
	PGM_STATE_MODIFIED,			/* applied, file's checksum changed since */
	PGM_STATE_MISSING,			/* applied, file gone */
	PGM_STATE_OUT_OF_ORDER,		/* pending, below the highest applied version */
	PGM_STATE_FAILED			/* newest history row says failed */
} PgmState;

/* What applying must record first, to adopt another tool's table. */
typedef enum PgmAdopt
{
	PGM_ADOPT_NONE,
	PGM_ADOPT_BASELINE,			/* schema_migrations says applied: record it */
	PGM_ADOPT_REVERT			/* schema_migrations was set back below it */
} PgmAdopt;

typedef struct PgmPlanItem
{
	int64		version;
	const char *name;
	PgmFile    *file;			/* NULL when the file is missing */
	PgmHistoryEntry *hist;		/* newest history row, or NULL */
	PgmState	state;
	PgmAdopt	adopt;
} PgmPlanItem;

typedef struct PgmPlan
{
	int			n;
	PgmPlanItem *items;			/* ascending version */
	bool		has_applied;
	int64		max_applied;	/* highest applied version, after adoption */
} PgmPlan;

/*
 * Builds the plan.  folder may be NULL (history only).  Files must be loaded
 * (pgm_file_load) so that checksums can be compared.
 */
extern PgmPlan *pgm_plan_build(PgmFolder *folder, PgmHistory *hist, PgmVersionTable *vt);

extern const char *pgm_state_name(PgmState state);

/*
 * schema_migrations is dirty because a run of ours failed at that version
 * (its newest history row says failed): fixing the file and running again
 * is the way out, unlike a dirty version left by another tool.
 */
extern bool pgm_plan_dirty_is_ours(PgmPlan *plan, PgmVersionTable *vt);

#endif							/* PGM_PLAN_H */
