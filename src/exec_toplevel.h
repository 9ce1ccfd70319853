/*-------------------------------------------------------------------------
 *
 * exec_toplevel.h
 *	  Run one statement as a client's top-level command would run, and
 *	  keep what such statements change in the session to their migration.
 *
 * IDENTIFICATION
 *	  src/exec_toplevel.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_TOPLEVEL_H
#define PGM_TOPLEVEL_H

#include "nodes/pg_list.h"
#include "script.h"

/*
 * Runs raw (parsed from query_string) with isTopLevel = true, so statements
 * that refuse transaction blocks (CREATE INDEX CONCURRENTLY, VACUUM) work.
 * The caller brackets it with StartTransactionCommand and
 * CommitTransactionCommand, outside any transaction block; plans live in
 * cxt.  When created is not NULL, the OIDs of the relations the statement
 * creates (indexes included) are appended to it, allocated in cxt, whether
 * the statement then succeeds or fails: a failed CREATE INDEX CONCURRENTLY
 * leaves its INVALID index behind, whatever its name.
 */
extern void pgm_exec_toplevel(RawStmt *raw, const char *query_string, MemoryContext cxt,
							  List **created);

/*
 * The settings of the session, as a no-transaction migration starts.  Its
 * statements commit one by one, so what they SET (search_path, role,
 * lock_timeout, ...) would otherwise stay for the next migrations of the
 * session; a transactional migration scopes them with a GUC nest level
 * instead (exec_spi.c).
 */
typedef struct PgmSessionSettings PgmSessionSettings;

/* Records every setting's value and source, allocated in cxt. */
extern PgmSessionSettings *pgm_session_save(MemoryContext cxt);

/*
 * Inside a transaction: puts back every setting changed since
 * pgm_session_save, for good (the migration is over).
 */
extern void pgm_session_restore(PgmSessionSettings *saved);

/*
 * Inside a transaction, in the middle of a migration: the saved settings
 * until AtEOXact_GUC(true, returned level) gives the migration back its
 * own, so that bookkeeping runs as the session that started the
 * migration, not as whatever role or search_path the migration set.
 */
extern int	pgm_session_enter_saved(PgmSessionSettings *saved);

#endif							/* PGM_TOPLEVEL_H */
