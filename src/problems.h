/*-------------------------------------------------------------------------
 *
 * problems.h
 *	  Problems found in a folder or a file: validation rows and lint
 *	  findings.
 *
 * IDENTIFICATION
 *	  src/problems.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_PROBLEMS_H
#define PGM_PROBLEMS_H

#include "nodes/pg_list.h"

#define PGM_SEVERITY_ERROR		"error"
#define PGM_SEVERITY_WARNING	"warning"
/* lint findings only */
#define PGM_SEVERITY_INFO		"info"
#define PGM_SEVERITY_IGNORED	"ignored"	/* suppressed by a lint-ignore comment */


typedef struct PgmProblem
{
	char	   *file;			/* file name inside the folder, or NULL */
	bool		has_version;
	int64		version;
	const char *severity;		/* PGM_SEVERITY_* */
	char	   *problem;		/* the message */

	/* lint findings only (rule NULL otherwise) */
	const char *rule;			/* stable rule id */
	int			sqlstate;		/* raised with this when enforced */
	int			line;			/* 1-based, in the file */
	int			column;
	const char *hint;			/* the safe recipe */
	char	   *excerpt;		/* the statement, on one line */
} PgmProblem;

/* Appends a problem to *problems and returns it, for lint fields. */
extern PgmProblem *pgm_problem_add(List **problems, const char *file, bool has_version,
								   int64 version, const char *severity, const char *problem);

#endif							/* PGM_PROBLEMS_H */
