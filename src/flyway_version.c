/*-------------------------------------------------------------------------
 *
 * flyway_version.c
 *	  Flyway's dotted versions as pg_migrate's bigint version key (the
 *	  encoding is described in flyway_version.h).
 *
 * No server headers: unit-tested in test/unit/test_formats.c.
 *
 * IDENTIFICATION
 *	  src/flyway_version.c
 *
 *-------------------------------------------------------------------------
 */
#include "flyway_version.h"

/*
 * The parts of v[0, len): up to max of them in parts[] (values capped at
 * cap + 1, so that no part overflows), their count in *nparts and the
 * number of significant ones (trailing zero parts left out) returned.
 * Returns -1 if v is not digits separated by single "." or "_".
 */
static int
read_parts(const char *v, size_t len, int64_t *parts, int max, int64_t cap)
{
	size_t		i;
	size_t		part_start = 0;
	int			n = 0;
	int			significant = 0;
	int64_t		value = 0;

	if (len == 0)
		return -1;
	for (i = 0; i <= len; i++)
	{
		char		c = i < len ? v[i] : '.';

		if (c >= '0' && c <= '9')
		{
			if (value <= cap)
				value = value * 10 + (c - '0');
			continue;
		}
		if ((c != '.' && c != '_') || i == part_start)
			return -1;
		if (n < max)
			parts[n] = value;
		n++;
		if (value != 0)
			significant = n;
		value = 0;
		part_start = i + 1;
	}
	return significant;
}

PgmFlywayKey
pgm_flyway_version_key(const char *v, size_t len, int64_t *key)
{
	int64_t		parts[PGM_FLYWAY_MAX_PARTS] = {0, 0, 0, 0};
	int64_t		k;
	int			significant;
	int			i;

	significant = read_parts(v, len, parts, PGM_FLYWAY_MAX_PARTS, PGM_FLYWAY_MAX_FIRST);
	if (significant < 0)
		return PGM_FLYWAY_KEY_SYNTAX;
	if (significant > PGM_FLYWAY_MAX_PARTS)
		return PGM_FLYWAY_KEY_PARTS;
	if (parts[0] > PGM_FLYWAY_MAX_FIRST)
		return PGM_FLYWAY_KEY_RANGE;
	k = parts[0];
	for (i = 1; i < PGM_FLYWAY_MAX_PARTS; i++)
	{
		/* parts past the significant ones are 0, or not stored */
		int64_t		p = i < significant ? parts[i] : 0;

		if (p > PGM_FLYWAY_MAX_OTHER)
			return PGM_FLYWAY_KEY_RANGE;
		k = k * (PGM_FLYWAY_MAX_OTHER + 1) + p;
	}
	*key = PGM_FLYWAY_KEY_BASE + k;
	return PGM_FLYWAY_KEY_OK;
}

int
pgm_flyway_is_dotted(const char *v, size_t len)
{
	int64_t		parts[1];

	return read_parts(v, len, parts, 1, 0) > 1;
}

const char *
pgm_flyway_key_limits(void)
{
	return "In a Flyway folder with dotted versions, pg_migrate keys each version by at most 4 significant parts, the first up to 999999 and the others up to 9999.";
}
