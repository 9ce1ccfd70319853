/*-------------------------------------------------------------------------
 *
 * apply.h
 *	  The pipeline: folder -> plan -> script -> exec -> history.
 *
 * IDENTIFICATION
 *	  src/apply.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_APPLY_H
#define PGM_APPLY_H

#include "plan.h"

typedef struct PgmApplyOptions
{
	bool		has_target;
	int64		target;			/* apply versions <= target */
	bool		out_of_order;	/* apply pending versions below the highest applied */
	bool		ignore_missing; /* go on when applied files are missing */
} PgmApplyOptions;

/* Called once per migration applied, in order. */
typedef void (*PgmAppliedCallback) (int64 version, const char *name,
									double duration_ms, void *arg);

/*
 * Applies the pending migrations of dir inside the current transaction,
 * all or nothing.  Opens and closes its own SPI connection.
 */
extern void pgm_apply_folder(const char *dir, const PgmApplyOptions *opts,
							 PgmAppliedCallback emit, void *arg);

/*
 * Raises an ERROR if the plan must not be applied: a dirty schema_migrations
 * left by another tool, modified files, and (unless opts allow them)
 * missing files or out-of-order versions.  Shared with the worker.
 */
extern void pgm_refuse_drift(PgmPlan *plan, PgmVersionTable *vt,
							 const PgmApplyOptions *opts);

/*
 * Reads every file of dir once, then opens an SPI connection (the caller
 * closes it), takes the migration lock for the transaction and builds the
 * plan from the history and schema_migrations (*vt).
 */
extern PgmPlan *pgm_plan_locked(const char *dir, PgmVersionTable *vt);

/* Does this item run in a call with these options? */
extern bool pgm_plan_item_runs(PgmPlanItem *item, const PgmApplyOptions *opts);

/* Records the baselines and reverts that adopting schema_migrations needs. */
extern void pgm_record_adoption(PgmPlan *plan, PgmHistoryWriter *writer);

#endif							/* PGM_APPLY_H */
