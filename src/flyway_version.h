/*-------------------------------------------------------------------------
 *
 * flyway_version.h
 *	  Flyway's dotted versions (1.10, 2.0.1) as pg_migrate's bigint
 *	  version key, order kept.
 *
 * pg_migrate keys every migration by a bigint (the plan, the history, the
 * progress rows, the trackers and the locks all do).  A Flyway folder whose
 * versions are all integers keeps them as they are (V42 is 42).  A Flyway
 * folder with at least one dotted version keys every one of its versions,
 * integers included, by this encoding:
 *
 *	   key = 10^18 + p1 * 10^12 + p2 * 10^8 + p3 * 10^4 + p4
 *
 * where p1.p2.p3.p4 are the version's parts read as numbers (leading zeros
 * dropped, "_" read as "."), missing parts 0.  Trailing zero parts do not
 * count, as Flyway compares them (1.0 is 1, a duplicate), so at most four
 * significant parts fit, the first up to 999999 and the others up to 9999;
 * anything else is refused.  Keys of this encoding are between 10^18 and
 * 2 * 10^18 - 1, and their order is Flyway's version order
 * (pgm_flyway_version_cmp).
 *
 * A plain integer V cannot keep the key V once dotted versions sit between
 * integers (there is no integer between 1 and 2 for 1.1): a folder that
 * gains its first dotted file after integer versions were applied is
 * refused by the plan (flyway_keys.c) rather than re-keyed behind the
 * history's back.
 *
 * No server headers: unit-tested in test/unit/test_formats.c.
 *
 * IDENTIFICATION
 *	  src/flyway_version.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_FLYWAY_VERSION_H
#define PGM_FLYWAY_VERSION_H

#include <stddef.h>
#include <stdint.h>

#define PGM_FLYWAY_KEY_BASE		INT64_C(1000000000000000000)
#define PGM_FLYWAY_KEY_LAST		(2 * PGM_FLYWAY_KEY_BASE - 1)
#define PGM_FLYWAY_MAX_PARTS	4
#define PGM_FLYWAY_MAX_FIRST	999999
#define PGM_FLYWAY_MAX_OTHER	9999

/* What pgm_flyway_version_key says of a version */
typedef enum PgmFlywayKey
{
	PGM_FLYWAY_KEY_OK,
	PGM_FLYWAY_KEY_SYNTAX,		/* not digits separated by "." or "_" */
	PGM_FLYWAY_KEY_PARTS,		/* more than four significant parts */
	PGM_FLYWAY_KEY_RANGE		/* a part above its limit */
} PgmFlywayKey;

/*
 * The key of version v[0, len) (digits separated by single "." or "_",
 * no empty part).  *key is set only for PGM_FLYWAY_KEY_OK.
 */
extern PgmFlywayKey pgm_flyway_version_key(const char *v, size_t len, int64_t *key);

/*
 * Does v[0, len) have more than one significant part (1.1, 2.0.1; not 1,
 * 1.0 or 001)?  Syntax is not checked.
 */
extern int	pgm_flyway_is_dotted(const char *v, size_t len);

/* One sentence on the encoding's limits, for messages. */
extern const char *pgm_flyway_key_limits(void);

#endif							/* PGM_FLYWAY_VERSION_H */
