/*-------------------------------------------------------------------------
 *
 * problems.h
 *	  Problems found while checking a folder without applying it.
 *
 * IDENTIFICATION
 *	  src/problems.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_PROBLEMS_H
#define PGM_PROBLEMS_H

#include "nodes/pg_list.h"

typedef struct PgmProblem
{
	char	   *file;			/* file name inside the folder, or NULL */
	bool		has_version;
	int64		version;
	const char *severity;		/* "error" or "warning" */
	char	   *problem;
} PgmProblem;

/* Appends a problem to *problems. */
extern void pgm_problem_add(List **problems, const char *file, bool has_version,
							int64 version, const char *severity, const char *problem);

#endif							/* PGM_PROBLEMS_H */
