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

#endif							/* PGM_APPLY_H */
