/*-------------------------------------------------------------------------
 *
 * funcs.h
 *	  Helpers shared by the SQL-callable functions.
 *
 * IDENTIFICATION
 *	  src/funcs.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_FUNCS_H
#define PGM_FUNCS_H

#include "fmgr.h"

/* The migration folder argument; NULL is an error (22004). */
extern char *pgm_folder_argument(FunctionCallInfo fcinfo, int argno);

/* The format argument argno (NULL or absent: pg_migrate.format, detection). */
extern void pgm_format_arg(FunctionCallInfo fcinfo, int argno);

#endif							/* PGM_FUNCS_H */
