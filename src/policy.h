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
 * pgm_check_opened_folder and pgm_check_opened_file; NIL when any folder is
 * allowed.
 *
 * This checks a name, which a link swapped in later can redirect: it gives
 * early errors (a job is refused when it is submitted), and only the checks
 * below, on what was opened, let anything be read.
 */
extern List *pgm_check_folder(const char *path);

/*
 * Checks that the directory open as fd, the folder named path, lies in
 * allowed: the check is on the directory that was opened, whatever links
 * its name went through, so no link swapped in after the check redirects
 * the read.  Nothing to check when allowed is NIL.
 */
extern void pgm_check_opened_folder(List *allowed, int fd, const char *path);

/* The same for migration file filename of folder, open as fd. */
extern void pgm_check_opened_file(List *allowed, int fd, const char *folder,
								  const char *filename);

/* Raises 25006 on a standby: migrations are applied on the primary. */
extern void pgm_check_primary(void);

#endif							/* PGM_POLICY_H */
