/*-------------------------------------------------------------------------
 *
 * problems.c
 *	  The list of problems that validation and lint return.
 *
 * IDENTIFICATION
 *	  src/problems.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "problems.h"

PgmProblem *
pgm_problem_add(List **problems, const char *file, bool has_version,
				int64 version, const char *severity, const char *problem)
{
	PgmProblem *p = palloc0(sizeof(PgmProblem));

	p->file = file ? pstrdup(file) : NULL;
	p->has_version = has_version;
	p->version = version;
	p->severity = severity;
	p->problem = pstrdup(problem);
	*problems = lappend(*problems, p);
	return p;
}
