/*-------------------------------------------------------------------------
 *
 * policy.h
 *	  Who may read which migration folders.
 *
 * IDENTIFICATION
 *	  src/policy.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_POLICY_H
#define PGM_POLICY_H

#include "nodes/pg_list.h"

extern void pgm_policy_init(void);

/*
 * Raises 42501 unless the current user may read migration folders at all
 * (superuser or pg_read_server_files); runs before any file is touched.
 */
extern void pgm_check_access(void);

/*
 * Checks a folder path given by the caller: absolute, no "..", and inside
 * pg_migrate.allowed_directories when that is set (always, for users that
 * are not superusers).  Returns the allowed directories, canonical, for
 * pgm_check_file; NIL when any folder is allowed.
 */
extern List *pgm_check_folder(const char *path);

/* Checks that a migration file, with links resolved, stays in allowed. */
extern void pgm_check_file(List *allowed, const char *folder, const char *filename,
						   const char *path);

/* Raises 25006 on a standby: migrations are applied on the primary. */
extern void pgm_check_primary(void);

#endif							/* PGM_POLICY_H */
