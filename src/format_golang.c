/*-------------------------------------------------------------------------
 *
 * format_golang.c
 *	  golang-migrate's folder format: parse migration file names.
 *
 * golang-migrate, Encore and ent/Atlas name files
 * "<version>_<description>.up.sql" and "<version>_<description>.down.sql";
 * the version is a non-negative decimal integer that may have leading zeros
 * and must fit in a signed 64-bit integer (it is stored as bigint).  Files
 * whose names do not end in ".sql" are not migrations (README.md, .gitkeep,
 * atlas.sum); hidden files are skipped like editors' and tools' scratch
 * files.  A ".sql" file (in any letter case: "3_x.up.SQL") that matches no
 * pattern exactly is reported, so a typo never silently skips a migration.
 *
 * No server headers: built into the extension and into test/unit and
 * test/fuzz as is.
 *
 * IDENTIFICATION
 *	  src/format_golang.c
 *
 *-------------------------------------------------------------------------
 */
#include "format_golang.h"

#include <string.h>

static char
lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
}

/* Does s end in suffix (lower case), ignoring the letter case of s? */
static int
ends_with_ci(const char *s, size_t len, const char *suffix)
{
	size_t		slen = strlen(suffix);
	size_t		i;

	if (len < slen)
		return 0;
	for (i = 0; i < slen; i++)
		if (lower(s[len - slen + i]) != suffix[i])
			return 0;
	return 1;
}

static int
ends_with(const char *s, size_t len, const char *suffix)
{
	size_t		slen = strlen(suffix);

	return len >= slen && memcmp(s + len - slen, suffix, slen) == 0;
}

PgmName
pgm_parse_name(const char *filename, size_t len)
{
	PgmName		result;
	size_t		pos = 0;
	const char *suffix;
	size_t		stem_len;
	uint64_t	version = 0;
	int			overflow = 0;

	memset(&result, 0, sizeof(result));
	result.kind = PGM_NAME_IGNORED;

	if (len == 0 || filename[0] == '.' || !ends_with_ci(filename, len, ".sql"))
		return result;

	if (ends_with_ci(filename, len, ".up.sql"))
	{
		result.kind = PGM_NAME_UP;
		suffix = ".up.sql";
	}
	else if (ends_with_ci(filename, len, ".down.sql"))
	{
		result.kind = PGM_NAME_DOWN;
		suffix = ".down.sql";
	}
	else
	{
		result.kind = PGM_NAME_INVALID;
		return result;
	}
	stem_len = len - strlen(suffix);

	if (filename[0] == '-' && len > 1 && filename[1] >= '0' && filename[1] <= '9')
	{
		result.kind = PGM_NAME_NEGATIVE;
		return result;
	}

	while (pos < stem_len && filename[pos] >= '0' && filename[pos] <= '9')
	{
		unsigned	digit = (unsigned) (filename[pos] - '0');

		if (version > (uint64_t) (INT64_MAX - digit) / 10)
			overflow = 1;
		else
			version = version * 10 + digit;
		pos++;
	}

	/* need digits, an underscore, and a non-empty description */
	if (pos == 0 || pos + 1 >= stem_len || filename[pos] != '_')
	{
		result.kind = PGM_NAME_INVALID;
		return result;
	}
	if (overflow)
	{
		result.kind = PGM_NAME_OVERFLOW;
		return result;
	}
	/* a migration but for ".UP.SQL" and the like: said as such */
	if (!ends_with(filename, len, suffix))
	{
		result.kind = PGM_NAME_CASE;
		return result;
	}

	result.version = (int64_t) version;
	result.ver_start = 0;
	result.ver_len = pos;
	result.desc_start = pos + 1;
	result.desc_len = stem_len - (pos + 1);
	return result;
}

const char *
pgm_name_problem(PgmNameKind kind)
{
	switch (kind)
	{
		case PGM_NAME_INVALID:
			return "Migration files are named <version>_<name>.up.sql or <version>_<name>.down.sql, where <version> is a non-negative integer.";
		case PGM_NAME_NEGATIVE:
			return "Migration versions cannot be negative.";
		case PGM_NAME_OVERFLOW:
			return "Migration versions must fit in a bigint (at most 9223372036854775807).";
		case PGM_NAME_CASE:
			return "Migration file names end in .up.sql or .down.sql, in lower case.";
		default:
			return "";
	}
}
