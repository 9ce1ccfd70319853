/*-------------------------------------------------------------------------
 *
 * format_golang.h
 *	  Migration file names: which files are migrations and what their
 *	  names say (version, description, direction).
 *
 * Plain C with no server headers, so it can be unit-tested and fuzzed
 * without a running server (test/unit, test/fuzz).
 *
 * IDENTIFICATION
 *	  src/format_golang.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_FORMAT_GOLANG_H
#define PGM_FORMAT_GOLANG_H

#include <stddef.h>
#include <stdint.h>

/*
 * A .sql file is one whose name ends in ".sql" in any letter case
 * (".SQL", ".Sql"): a name that only a case-insensitive file system or a
 * habit of capitals sets apart from a migration is reported, never
 * silently skipped.
 */
typedef enum PgmNameKind
{
	PGM_NAME_IGNORED,			/* not a .sql file, or a hidden file */
	PGM_NAME_UP,				/* <version>_<name>.up.sql */
	PGM_NAME_DOWN,				/* <version>_<name>.down.sql */
	PGM_NAME_INVALID,			/* a .sql file that matches no pattern */
	PGM_NAME_NEGATIVE,			/* starts with "-" and a digit */
	PGM_NAME_OVERFLOW,			/* version does not fit in bigint */
	PGM_NAME_CASE,				/* a migration's name but for the letter case
								 * of .up.sql or .down.sql */
	PGM_NAME_NOSEP,				/* Flyway: no "__" between version and
								 * description */
	PGM_NAME_BADVERSION,		/* Flyway: a version that is not dotted
								 * digits */
	PGM_NAME_DOTTED,			/* unused: Flyway's dotted versions are
								 * PGM_NAME_UP/DOWN, keyed by the listing */
	PGM_NAME_REPEATABLE			/* Flyway: R__<description>.sql, a
								 * description and no version */
} PgmNameKind;

typedef struct PgmName
{
	PgmNameKind kind;
	int64_t		version;
	size_t		ver_start;		/* byte offset of the version as written */
	size_t		ver_len;		/* its length in bytes */
	size_t		desc_start;		/* byte offset of the description */
	size_t		desc_len;		/* its length in bytes */
} PgmName;

/*
 * Classifies a file name (no directory part).  Never reads past len bytes
 * and never fails: every input maps to one PgmNameKind.
 */
extern PgmName pgm_parse_name(const char *filename, size_t len);

/* A one-sentence reason for PGM_NAME_INVALID/NEGATIVE/OVERFLOW/CASE names. */
extern const char *pgm_name_problem(PgmNameKind kind);

#endif							/* PGM_FORMAT_GOLANG_H */
