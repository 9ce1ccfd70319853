/*-------------------------------------------------------------------------
 *
 * exec_toplevel.h
 *	  Run one statement as a client's top-level command would run.
 *
 * IDENTIFICATION
 *	  src/exec_toplevel.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_TOPLEVEL_H
#define PGM_TOPLEVEL_H

#include "script.h"

/*
 * Runs raw (parsed from query_string) with isTopLevel = true, so statements
 * that refuse transaction blocks (CREATE INDEX CONCURRENTLY, VACUUM) work.
 * The caller brackets it with StartTransactionCommand and
 * CommitTransactionCommand, outside any transaction block; plans live in cxt.
 */
extern void pgm_exec_toplevel(RawStmt *raw, const char *query_string, MemoryContext cxt);

#endif							/* PGM_TOPLEVEL_H */
