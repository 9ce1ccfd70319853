/*-------------------------------------------------------------------------
 *
 * directives.c
 *	  Read in-file markers: which files must run outside a transaction.
 *
 * Only the first non-blank line counts, as in sqlx and goose, so a marker
 * quoted further down a file (in a comment or a string) changes nothing.
 * Matching ignores case and runs of blanks.
 *
 * IDENTIFICATION
 *	  src/directives.c
 *
 *-------------------------------------------------------------------------
 */
#include "directives.h"

#include <string.h>

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static char
lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
}

/*
 * Does line [s, end) equal pattern, where a blank in the pattern matches
 * one or more blanks and case does not matter?  Trailing blanks are allowed.
 */
static int
line_matches(const char *s, const char *end, const char *pattern)
{
	const char *p = pattern;

	while (*p != '\0')
	{
		if (*p == ' ')
		{
			if (s >= end || !is_blank(*s))
				return 0;
			while (s < end && is_blank(*s))
				s++;
			p++;
			continue;
		}
		if (s >= end || lower(*s) != *p)
			return 0;
		s++;
		p++;
	}
	while (s < end && is_blank(*s))
		s++;
	return s == end;
}

int
pgm_directive_no_transaction(const char *body, size_t len)
{
	static const char *const patterns[] = {
		"-- pg_migrate:no-transaction",
		"--pg_migrate:no-transaction",
		"-- no-transaction",
		"-- +goose no transaction",
	};
	const char *s = body;
	const char *end = body + len;
	int			line = 1;
	const char *eol;
	size_t		i;

	/* skip blank lines */
	for (;;)
	{
		const char *t = s;

		while (t < end && is_blank(*t))
			t++;
		if (t < end && *t == '\n')
		{
			s = t + 1;
			line++;
			continue;
		}
		s = t;
		break;
	}
	if (s >= end)
		return 0;

	eol = memchr(s, '\n', (size_t) (end - s));
	if (eol == NULL)
		eol = end;
	for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (line_matches(s, eol, patterns[i]))
			return line;
	return 0;
}

/*
 * The batch marker: skips a UTF-8 BOM, blank lines and other "--" comment
 * lines; stops at the first line that is neither.
 */
int
pgm_directive_batch(const char *body, size_t len)
{
	static const char *const patterns[] = {
		"-- pg_migrate:batch",
		"--pg_migrate:batch",
	};
	const char *s = body;
	const char *end = body + len;
	int			line = 1;

	if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	while (s < end)
	{
		const char *eol = memchr(s, '\n', (size_t) (end - s));
		const char *t = s;
		size_t		i;

		if (eol == NULL)
			eol = end;
		while (t < eol && is_blank(*t))
			t++;
		if (t < eol)
		{
			if (eol - t < 2 || t[0] != '-' || t[1] != '-')
				return 0;
			for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
				if (line_matches(t, eol, patterns[i]))
					return line;
		}
		s = eol + 1;
		line++;
	}
	return 0;
}
