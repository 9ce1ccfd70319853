/*-------------------------------------------------------------------------
 *
 * pg_migrate.c
 *	  Module entry point: apply schema migrations from a folder, inside
 *	  the server.
 *
 * Each module defines its own settings; this file only calls their init
 * functions.  The SQL-callable functions live in src/funcs.c.
 *
 * IDENTIFICATION
 *	  src/pg_migrate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "batch.h"
#include "bgw_common.h"
#include "bgw_launcher.h"
#include "fmgr.h"
#include "folder.h"
#include "lint.h"
#include "miscadmin.h"
#include "policy.h"
#include "track.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	pgm_folder_init();
	pgm_policy_init();
	pgm_bgw_init();
	/* the launcher exists only when preloaded (shared_preload_libraries) */
	if (process_shared_preload_libraries_in_progress)
		pgm_launcher_register();
	pgm_lint_init();
	pgm_batch_init();
	pgm_track_init();
	MarkGUCPrefixReserved("pg_migrate");
}
