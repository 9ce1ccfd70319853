/*-------------------------------------------------------------------------
 *
 * validate.h
 *	  Check a folder the way migrate_apply would, without applying it.
 *
 * IDENTIFICATION
 *	  src/validate.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_VALIDATE_H
#define PGM_VALIDATE_H

#include "problems.h"

/*
 * Every problem of the folder (names, duplicates, unreadable files,
 * encoding, parse errors, drift, ordering) as a List of PgmProblem.  Takes
 * no lock that blocks other sessions; runs no migration SQL.
 */
extern List *pgm_validate_folder(const char *dir);

#endif							/* PGM_VALIDATE_H */
