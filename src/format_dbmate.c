/*-------------------------------------------------------------------------
 *
 * format_dbmate.c
 *	  dbmate's migration files: one file per migration,
 *	  <version>_<name>.sql, with an up and a down section.
 *
 * As dbmate's parseMigrationContents (pkg/dbmate/migration.go) reads them:
 * the up section starts after the first line matching
 * ^--\s*migrate:up(\s|$), the down section after the first line matching
 * ^--\s*migrate:down(\s|$); both are required, up before down, and only
 * blank lines and "--" comments may come before the up marker.  Options
 * are key:value words on the marker line; "transaction:false" runs the
 * section outside a transaction (any other value keeps it in one).
 *
 * Where pg_migrate is stricter than dbmate: a second up or down marker is
 * refused (dbmate would run it as a comment inside the other section,
 * which is never what its author meant).  Where it is more lenient: a byte
 * order mark before the first marker, and "\r" before "\n" on a down
 * marker line with options.
 *
 * No server headers (see format_text.h).
 *
 * IDENTIFICATION
 *	  src/format_dbmate.c
 *
 *-------------------------------------------------------------------------
 */
#include "format_text.h"

#include <string.h>

/* Does the marker line [start, end) carry the option transaction:false? */
static int
no_transaction_option(const char *body, size_t start, size_t end)
{
	size_t		p = start;

	while (p < end)
	{
		size_t		w;

		while (p < end && pgm_is_space(body[p]))
			p++;
		w = p;
		while (p < end && !pgm_is_space(body[p]))
			p++;
		/* a word key:value with exactly one ':' (dbmate's split) */
		if (p - w == strlen("transaction:false") &&
			memcmp(body + w, "transaction:false", p - w) == 0)
			return 1;
	}
	return 0;
}

static int
fail(PgmSections *s, int line, const char *error)
{
	s->error_line = line;
	s->error = error;
	return 0;
}

int
pgm_dbmate_sections(const char *body, size_t len, PgmSections *s)
{
	PgmLine		l;
	int			statement_before = 0;

	memset(s, 0, sizeof(PgmSections));
	pgm_lines_begin(&l, body, len);
	while (pgm_lines_next(&l, body, len))
	{
		if (pgm_dbmate_marker(body, l.start, l.end, "up"))
		{
			if (s->up_line != 0)
				return fail(s, l.number, "A second \"-- migrate:up\" marker: a migration has one up section.");
			if (s->down_line != 0)
				return fail(s, l.number, "\"-- migrate:up\" comes after \"-- migrate:down\"; dbmate requires the up section first.");
			if (statement_before)
				return fail(s, statement_before, "A statement comes before \"-- migrate:up\"; dbmate allows only blank lines and comments there.");
			s->up_line = l.number;
			s->up_start = l.next;
			s->notx_up = no_transaction_option(body, l.start, l.end) ? l.number : 0;
			continue;
		}
		if (pgm_dbmate_marker(body, l.start, l.end, "down"))
		{
			if (s->down_line != 0)
				return fail(s, l.number, "A second \"-- migrate:down\" marker: a migration has one down section.");
			if (s->up_line == 0)
				return fail(s, l.number, "\"-- migrate:down\" comes before \"-- migrate:up\"; dbmate requires the up section first.");
			s->down_line = l.number;
			s->up_end = l.start;
			s->down_start = l.next;
			s->down_end = len;
			s->has_down = 1;
			s->notx_down = no_transaction_option(body, l.start, l.end) ? l.number : 0;
			continue;
		}
		if (s->up_line == 0 && statement_before == 0)
		{
			size_t		p = l.start;

			while (p < l.end && pgm_is_space(body[p]))
				p++;
			if (p < l.end && !(l.end - p >= 2 && body[p] == '-' && body[p + 1] == '-'))
				statement_before = l.number;
		}
	}
	if (s->up_line == 0)
		return fail(s, 0, "The file has no \"-- migrate:up\" marker; dbmate requires one before the up section.");
	if (s->down_line == 0)
		return fail(s, 0, "The file has no \"-- migrate:down\" marker; dbmate requires one before the down section, even an empty one.");
	return 1;
}
