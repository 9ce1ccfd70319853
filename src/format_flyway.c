/*-------------------------------------------------------------------------
 *
 * format_flyway.c
 *	  Flyway's SQL migration names: V<version>__<description>.sql
 *	  (versioned), U<version>__<description>.sql (undo: the down of the
 *	  same version), R__<description>.sql (repeatable).
 *
 * As Flyway's default naming reads them (prefixes V, U and R, separator
 * "__", suffix ".sql"): the version runs from the prefix to the first
 * "__"; it is digits separated by "." or "_", an "_" read as "."
 * (V1_1__x.sql is version 1.1); versions compare part by part as numbers,
 * so 1.10 comes after 1.9 and 1.0 equals 1 (trailing zero parts do not
 * count).  A name with a prefix but no "__" is an error, as with Flyway's
 * validateMigrationNaming.
 *
 * The version key in pg_migrate's history is a bigint: a version with one
 * significant part (V1, V001, V2.0) is read as that integer; a dotted
 * version (1.1, 2.0.1) is a migration too, with version 0 here: the listing
 * keys every version of a folder that has a dotted one by the encoding of
 * flyway_version.h (flyway_keys.c), whose order is pgm_flyway_version_cmp.
 * Repeatable migrations (R__) are PGM_NAME_REPEATABLE, with a description
 * and no version: the listing keeps them apart (format.c), and the plan
 * runs them after the versioned ones whenever their checksum changed.
 *
 * No server headers (see format_text.h).
 *
 * IDENTIFICATION
 *	  src/format_flyway.c
 *
 *-------------------------------------------------------------------------
 */
#include "format_text.h"

#include <string.h>

/* The first "__" in s[0, len), or len. */
static size_t
find_separator(const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i + 1 < len; i++)
		if (s[i] == '_' && s[i + 1] == '_')
			return i;
	return len;
}

PgmName
pgm_flyway_parse_name(const char *name, size_t len)
{
	PgmName		r;
	size_t		stem;
	size_t		sep;
	size_t		i;
	size_t		last_nonzero_part_end = 0;
	size_t		parts_significant = 0;
	size_t		part_start;
	int			seen_nonzero_in_part;

	memset(&r, 0, sizeof(r));
	if (len == 0 || name[0] == '.' || !pgm_ends_with(name, len, ".sql", 1))
		return r;				/* PGM_NAME_IGNORED */
	r.kind = PGM_NAME_INVALID;
	if (name[0] != 'V' && name[0] != 'U' && name[0] != 'R')
		return r;
	if (!pgm_ends_with(name, len, ".sql", 0))
	{
		r.kind = PGM_NAME_CASE;
		return r;
	}
	stem = len - 4;
	sep = find_separator(name + 1, stem - 1) + 1;
	if (sep >= stem)
	{
		r.kind = PGM_NAME_NOSEP;
		return r;
	}
	if (name[0] == 'R')
	{
		if (sep != 1)
		{
			r.kind = PGM_NAME_BADVERSION;
			return r;
		}
		r.kind = PGM_NAME_REPEATABLE;
		r.desc_start = 3;
		r.desc_len = stem - 3;
		return r;
	}
	if (sep == 1)
	{
		r.kind = PGM_NAME_BADVERSION;
		return r;
	}

	/* digits separated by single "." or "_"; no empty part */
	part_start = 1;
	seen_nonzero_in_part = 0;
	for (i = 1; i <= sep; i++)
	{
		char		c = i < sep ? name[i] : '.';

		if (c >= '0' && c <= '9')
		{
			if (c != '0')
				seen_nonzero_in_part = 1;
			continue;
		}
		if ((c != '.' && c != '_') || i == part_start)
		{
			r.kind = PGM_NAME_BADVERSION;
			return r;
		}
		parts_significant++;
		if (seen_nonzero_in_part)
			last_nonzero_part_end = parts_significant;
		part_start = i + 1;
		seen_nonzero_in_part = 0;
	}

	r.ver_start = 1;
	r.ver_len = sep - 1;
	r.desc_start = sep + 2;
	r.desc_len = stem - (sep + 2);
	if (last_nonzero_part_end > 1)
	{
		/* keyed by the listing (flyway_keys.c) */
		r.kind = name[0] == 'V' ? PGM_NAME_UP : PGM_NAME_DOWN;
		return r;
	}
	else
	{
		int			overflow;
		size_t		ndig = pgm_read_digits(name + 1, sep - 1, &r.version, &overflow);

		(void) ndig;
		if (overflow)
		{
			r.kind = PGM_NAME_OVERFLOW;
			r.version = 0;
			return r;
		}
	}
	r.kind = name[0] == 'V' ? PGM_NAME_UP : PGM_NAME_DOWN;
	return r;
}

/* The next part of a version at *pos: digits without leading zeros. */
static void
next_part(const char *s, size_t len, size_t *pos, const char **digits, size_t *ndigits)
{
	size_t		p = *pos;
	size_t		start;

	while (p < len && s[p] == '0')
		p++;
	start = p;
	while (p < len && s[p] >= '0' && s[p] <= '9')
		p++;
	*digits = s + start;
	*ndigits = p - start;
	if (p < len)
		p++;					/* the "." or "_" */
	*pos = p;
}

int
pgm_flyway_version_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t		pa = 0;
	size_t		pb = 0;

	while (pa < alen || pb < blen)
	{
		const char *da;
		const char *db;
		size_t		na;
		size_t		nb;
		int			c;

		next_part(a, alen, &pa, &da, &na);
		next_part(b, blen, &pb, &db, &nb);
		if (na != nb)
			return na < nb ? -1 : 1;
		c = memcmp(da, db, na);
		if (c != 0)
			return c < 0 ? -1 : 1;
	}
	return 0;
}
