/*-------------------------------------------------------------------------
 *
 * flyway_keys.h
 *	  The version keys of a Flyway folder: integers as they are until the
 *	  folder has a dotted version, then flyway_version.h's encoding for
 *	  every version of it.
 *
 * IDENTIFICATION
 *	  src/flyway_keys.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_FLYWAY_KEYS_H
#define PGM_FLYWAY_KEYS_H

#include "flyway_version.h"
#include "format.h"
#include "history.h"

/* Is the folder a Flyway folder keyed by the encoding? */
extern bool pgm_flyway_folder_dotted(const PgmFolder *folder);

/*
 * The key of a version as Flyway's table or a user writes it ("1.10",
 * "2"), for this folder's keys (folder may be NULL: integers only).
 * false if it has none (not a version, or beyond the encoding's limits).
 */
extern bool pgm_flyway_text_key(const PgmFolder *folder, const char *text, int64 *key);

/*
 * Refuses a Flyway folder whose keys and the history's disagree: a folder
 * with dotted versions while the history has integer keys applied (the
 * folder gained its first dotted file after integer versions were
 * applied), or a folder with integer keys while applied history rows
 * have encoded keys no file has (its dotted files were removed).  Nothing
 * for other formats.
 */
extern void pgm_flyway_check_history(const PgmFolder *folder, const PgmHistory *hist);

#endif							/* PGM_FLYWAY_KEYS_H */
