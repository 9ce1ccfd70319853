/*-------------------------------------------------------------------------
 *
 * version_arg.h
 *	  The version a user names in a call (migrate_apply's and
 *	  migrate_run's target, migrate_to's and migrate_baseline's version),
 *	  as the folder's version key.
 *
 * IDENTIFICATION
 *	  src/version_arg.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_VERSION_ARG_H
#define PGM_VERSION_ARG_H

#include "fmgr.h"

/*
 * The key of version text (as written: "5", "1.10"; a bigint argument as
 * its decimal text) in folder dir, read with the format the call forces
 * (pgm_format_argument) or detected.  In a Flyway folder with dotted
 * versions an integer names the Flyway version (5 is 5, keyed as the folder
 * keys it); in other folders the version is an integer.  exact: it must be
 * a migration of a Flyway folder, or a zero version (returns 0: none
 * applied).  Errors name the text.
 */
extern int64 pgm_version_arg_key(const char *dir, const char *text, bool exact);

/*
 * Argument argno of a folder function as the folder's key: a bigint, or
 * with is_text the text of the 1.1 overloads (migrate_to(dir, '1.10')).
 * The caller checks it is not null.
 */
extern int64 pgm_version_argument(FunctionCallInfo fcinfo, int argno, bool is_text,
								  const char *dir, bool exact);

#endif							/* PGM_VERSION_ARG_H */
