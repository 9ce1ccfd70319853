/*-------------------------------------------------------------------------
 *
 * format_diesel.c
 *	  diesel's migrations: one folder per migration,
 *	  <version>_<name>/up.sql, down.sql and metadata.toml.
 *
 * As diesel_migrations 2.x reads them (migrations_internals): the version
 * is the folder name before the first "_" with every "-" dropped
 * (2019-02-26-002946 is 20190226002946; 00000000000000_diesel_initial_setup
 * is 0); a folder without up.sql is not a migration (diesel refuses it when
 * asked to run it); down.sql may be missing; hidden entries are skipped.
 * pg_migrate keys the version by its digits as a number and keeps the text
 * as written.  metadata.toml's run_in_transaction = false runs both
 * directions outside a transaction.
 *
 * metadata.toml is read as far as that key needs: "key = value" lines,
 * "#" comments, blank lines; a [table] header ends the top-level keys.  The
 * value must be the TOML boolean true or false.
 *
 * No server headers (see format_text.h).
 *
 * IDENTIFICATION
 *	  src/format_diesel.c
 *
 *-------------------------------------------------------------------------
 */
#include "format_text.h"

#include <string.h>

PgmName
pgm_diesel_parse_dir(const char *name, size_t len)
{
	PgmName		r;
	size_t		i;
	size_t		sep;
	size_t		ndig = 0;
	uint64_t	v = 0;
	int			overflow = 0;

	memset(&r, 0, sizeof(r));
	if (len == 0 || name[0] == '.')
		return r;				/* PGM_NAME_IGNORED */
	r.kind = PGM_NAME_INVALID;
	for (sep = 0; sep < len && name[sep] != '_'; sep++)
		;
	if (sep == len || sep == 0)
		return r;
	for (i = 0; i < sep; i++)
	{
		char		c = name[i];

		if (c == '-')
			continue;
		if (c < '0' || c > '9')
			return r;
		if (v > (uint64_t) (INT64_MAX - (c - '0')) / 10)
			overflow = 1;
		else if (!overflow)
			v = v * 10 + (unsigned) (c - '0');
		ndig++;
	}
	if (ndig == 0)
		return r;
	if (overflow)
	{
		r.kind = PGM_NAME_OVERFLOW;
		return r;
	}
	r.kind = PGM_NAME_UP;
	r.version = (int64_t) v;
	r.ver_start = 0;
	r.ver_len = sep;
	r.desc_start = sep + 1;
	r.desc_len = len - (sep + 1);
	return r;
}

int
pgm_diesel_metadata(const char *body, size_t len, int *bad_line)
{
	static const char key[] = "run_in_transaction";
	PgmLine		l;

	*bad_line = 0;
	pgm_lines_begin(&l, body, len);
	while (pgm_lines_next(&l, body, len))
	{
		size_t		p = l.start;
		size_t		e;

		while (p < l.end && (body[p] == ' ' || body[p] == '\t'))
			p++;
		if (p < l.end && body[p] == '[')
			return 0;			/* a table: no top-level keys after it */
		/* bare or quoted key */
		if (l.end - p >= sizeof(key) - 1 && memcmp(body + p, key, sizeof(key) - 1) == 0)
			p += sizeof(key) - 1;
		else if (l.end - p >= sizeof(key) + 1 && body[p] == '"' &&
				 memcmp(body + p + 1, key, sizeof(key) - 1) == 0 &&
				 body[p + sizeof(key)] == '"')
			p += sizeof(key) + 1;
		else
			continue;
		while (p < l.end && (body[p] == ' ' || body[p] == '\t'))
			p++;
		if (p >= l.end || body[p] != '=')
			continue;			/* another key that starts alike */
		p++;
		while (p < l.end && (body[p] == ' ' || body[p] == '\t'))
			p++;
		/* the value ends at blanks or a comment */
		for (e = p; e < l.end && body[e] != ' ' && body[e] != '\t' && body[e] != '#'; e++)
			;
		{
			size_t		rest = e;

			while (rest < l.end && (body[rest] == ' ' || body[rest] == '\t'))
				rest++;
			if (rest < l.end && body[rest] != '#')
			{
				*bad_line = l.number;
				return -1;
			}
		}
		if (e - p == 5 && memcmp(body + p, "false", 5) == 0)
			return l.number;
		if (e - p == 4 && memcmp(body + p, "true", 4) == 0)
			return 0;
		*bad_line = l.number;
		return -1;
	}
	return 0;
}
