/*-------------------------------------------------------------------------
 *
 * plan.h
 *	  Compare a folder with what was recorded: each migration's state, the
 *	  gate that refuses to apply a folder in a bad state, and the one
 *	  preparation step of both apply paths.
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
#include "track.h"

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
	PGM_ADOPT_BASELINE,			/* the tool's table says applied: record it */
	PGM_ADOPT_REVERT			/* the tool's table no longer says applied */
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
	PgmFolder  *folder;			/* what the plan was built from, or NULL */
	int			n;
	PgmPlanItem *items;			/* ascending version */

	/*
	 * Repeatable migrations (Flyway's R__ files), in the folder's order:
	 * applied after the versioned ones when pending (never run, changed
	 * since their last run, or failed); never modified, never out of
	 * order, and a missing one is shown but refuses nothing, as in Flyway.
	 */
	int			nrepeatables;
	PgmPlanItem *repeatables;
	bool		has_applied;
	int64		max_applied;	/* highest applied version, after adoption */
	PgmTracked	tracked;		/* what the tool's table said */
	bool		backfill;		/* a per-migration table was missing: write
								 * the rows of what the history applied */
} PgmPlan;

/* What a call asks for. */
typedef struct PgmPlanOptions
{
	bool		has_target;
	int64		target;			/* apply versions <= target */
	bool		out_of_order;	/* apply pending versions below the highest applied */
	bool		ignore_missing; /* go on when applied files are missing */
	const char *lint;			/* off, warn, error; NULL: pg_migrate.lint */
	const char *format;			/* the folder's tool; NULL: pg_migrate.format */
} PgmPlanOptions;

/* How pgm_plan_prepare takes the migration lock. */
typedef enum PgmLockMode
{
	PGM_LOCK_XACT,				/* until the caller's transaction ends */
	PGM_LOCK_SESSION			/* until pgm_unlock_session (the worker path) */
} PgmLockMode;

/*
 * Builds the plan.  folder may be NULL (history only).  Files must be loaded
 * (pgm_file_load) so that checksums can be compared.
 */
extern PgmPlan *pgm_plan_build(PgmFolder *folder, PgmHistory *hist, PgmTracked *tracked);

/*
 * Reads the history and the tool's table and builds the plan of folder
 * (NULL: history only), taking no lock.  Needs an open SPI connection.
 */
extern PgmPlan *pgm_plan_read(PgmFolder *folder);

/*
 * The preparation step of both apply paths: scans dir and hashes every file
 * (no lock held for I/O; one file's bytes in memory at a time), takes the
 * migration lock, then reads the history and the tool's table so
 * concurrent runs see each other's commits, and builds the plan.  The files
 * that may run (pending, failed, out of order) are then read again and kept
 * loaded; the others are not in memory.  Opens no SPI connection: the caller owns it.
 * Allocates in the current memory context.
 */
extern PgmPlan *pgm_plan_prepare(const char *dir, PgmLockMode lockmode);

/*
 * The gate: raises an ERROR if the plan must not be applied: a dirty table
 * left by another tool, modified files, and (unless opts allow them)
 * missing files or out-of-order versions.
 */
extern void pgm_plan_check(PgmPlan *plan, const PgmPlanOptions *opts);

/*
 * The part of the gate every change of the schema passes (migrate_down and
 * migrate_baseline too): a dirty table left by another tool.
 */
extern void pgm_plan_check_dirty(PgmPlan *plan);

/*
 * The plan's migrations in the order they run: the versioned ones, then
 * the repeatable ones.  k below pgm_plan_count(plan).
 */
static inline int
pgm_plan_count(const PgmPlan *plan)
{
	return plan->n + plan->nrepeatables;
}

static inline PgmPlanItem *
pgm_plan_item(PgmPlan *plan, int k)
{
	return k < plan->n ? &plan->items[k] : &plan->repeatables[k - plan->n];
}

/*
 * Does this item run in a call with these options?  A repeatable one runs
 * whatever the target, as Flyway's do.
 */
extern bool pgm_plan_item_runs(PgmPlanItem *item, const PgmPlanOptions *opts);

/* Records the baselines and reverts that adopting the tool's table needs. */
extern void pgm_plan_record_adoption(PgmPlan *plan, PgmHistoryWriter *writer);

/*
 * A migration of the plan is about to run, in the transaction its first
 * statement runs in: the tool's table says it is in flight, as the tool
 * would (created if missing, so the migration can alter it).  Ended by
 * pgm_plan_track_flush or pgm_track_failed.
 */
extern void pgm_plan_begin(PgmPlan *plan, const PgmFile *file);

/*
 * The same for a migration that commits statement by statement (worker,
 * no-transaction file), in a transaction of its own before its first
 * statement; done is what pgm_progress_read returned.  The mark commits
 * with a pgmigrate.progress row, so a run that finds it after a crash
 * knows it is its own and resumes the migration (plan.c).
 */
extern void pgm_plan_begin_steps(PgmPlan *plan, const PgmFile *file,
								 int done, int nstmts);

/*
 * A migration of the plan ran and is recorded: the highest applied version
 * moves (not for a repeatable one), and the tool's table is told
 * (pgm_track_note_applied, and its row for per-migration tools).
 */
extern void pgm_plan_applied(PgmPlan *plan, PgmFile *file);

/* Brings the tool's table up to the plan, by track.h's one rule. */
extern void pgm_plan_track_flush(PgmPlan *plan);

extern const char *pgm_state_name(PgmState state);

#endif							/* PGM_PLAN_H */
