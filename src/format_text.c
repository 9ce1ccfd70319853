/*-------------------------------------------------------------------------
 *
 * format_text.c
 *	  Helpers shared by the plain-C readers of other tools' files (lines,
 *	  byte order mark, digits, suffixes), the one-file-per-migration name
 *	  <version>_<name>.sql, and telling dbmate, goose and plain files apart.
 *
 * No server headers (see format_text.h).
 *
 * IDENTIFICATION
 *	  src/format_text.c
 *
 *-------------------------------------------------------------------------
 */
#include "format_text.h"

#include <string.h>

size_t
pgm_skip_bom(const char *body, size_t len)
{
	if (len >= 3 && (unsigned char) body[0] == 0xEF &&
		(unsigned char) body[1] == 0xBB && (unsigned char) body[2] == 0xBF)
		return 3;
	return 0;
}

size_t
pgm_read_digits(const char *s, size_t len, int64_t *value, int *overflow)
{
	size_t		pos = 0;
	uint64_t	v = 0;

	*overflow = 0;
	while (pos < len && s[pos] >= '0' && s[pos] <= '9')
	{
		unsigned	digit = (unsigned) (s[pos] - '0');

		if (v > (uint64_t) (INT64_MAX - digit) / 10)
			*overflow = 1;
		else if (!*overflow)
			v = v * 10 + digit;
		pos++;
	}
	*value = *overflow ? 0 : (int64_t) v;
	return pos;
}

static char
lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
}

int
pgm_ends_with(const char *name, size_t len, const char *suffix, int ignore_case)
{
	size_t		n = strlen(suffix);
	size_t		i;

	if (len < n)
		return 0;
	for (i = 0; i < n; i++)
	{
		char		c = name[len - n + i];

		if (ignore_case ? lower(c) != lower(suffix[i]) : c != suffix[i])
			return 0;
	}
	return 1;
}

int
pgm_is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

void
pgm_lines_begin(PgmLine *l, const char *body, size_t len)
{
	l->start = l->end = l->next = pgm_skip_bom(body, len);
	l->number = 0;
}

int
pgm_lines_next(PgmLine *l, const char *body, size_t len)
{
	const char *nl;

	if (l->next >= len)
		return 0;
	l->start = l->next;
	nl = memchr(body + l->start, '\n', len - l->start);
	if (nl == NULL)
	{
		l->end = len;
		l->next = len;
	}
	else
	{
		l->end = (size_t) (nl - body);
		l->next = l->end + 1;
	}
	if (l->end > l->start && body[l->end - 1] == '\r')
		l->end--;
	l->number++;
	return 1;
}

PgmName
pgm_single_parse_name(const char *name, size_t len)
{
	PgmName		r;
	size_t		ndig;
	size_t		stem;
	int			overflow;

	memset(&r, 0, sizeof(r));
	if (len == 0 || name[0] == '.' || !pgm_ends_with(name, len, ".sql", 1))
		return r;				/* PGM_NAME_IGNORED */
	r.kind = PGM_NAME_INVALID;
	if (pgm_ends_with(name, len, ".up.sql", 1) || pgm_ends_with(name, len, ".down.sql", 1))
		return r;
	stem = len - 4;
	if (name[0] == '-' && len > 1 && name[1] >= '0' && name[1] <= '9')
	{
		r.kind = PGM_NAME_NEGATIVE;
		return r;
	}
	ndig = pgm_read_digits(name, stem, &r.version, &overflow);
	if (ndig == 0 || ndig + 1 >= stem || name[ndig] != '_')
	{
		r.version = 0;
		return r;
	}
	if (overflow)
	{
		r.kind = PGM_NAME_OVERFLOW;
		return r;
	}
	if (!pgm_ends_with(name, len, ".sql", 0))
	{
		r.kind = PGM_NAME_CASE;
		r.version = 0;
		return r;
	}
	r.kind = PGM_NAME_UP;
	r.ver_start = 0;
	r.ver_len = ndig;
	r.desc_start = ndig + 1;
	r.desc_len = stem - (ndig + 1);
	return r;
}

/* dbmate's up or down marker: ^--\s*migrate:(up|down) then blank or end */
int
pgm_dbmate_marker(const char *body, size_t start, size_t end, const char *which)
{
	size_t		p = start;
	size_t		n = strlen(which);

	if (end - p < 2 || body[p] != '-' || body[p + 1] != '-')
		return 0;
	p += 2;
	while (p < end && pgm_is_space(body[p]))
		p++;
	if (end - p < 8 + n || memcmp(body + p, "migrate:", 8) != 0 ||
		memcmp(body + p + 8, which, n) != 0)
		return 0;
	p += 8 + n;
	return p == end || pgm_is_space(body[p]);
}

/* A goose annotation line: "--" at its start, then blanks and "+goose". */
int
pgm_goose_line(const char *body, size_t start, size_t end)
{
	size_t		p = start;

	if (end - p < 2 || body[p] != '-' || body[p + 1] != '-')
		return 0;
	p += 2;
	while (p < end && pgm_is_space(body[p]))
		p++;
	return end - p >= 6 && memcmp(body + p, "+goose", 6) == 0;
}

int
pgm_sections_sniff(const char *body, size_t len)
{
	PgmLine		l;

	pgm_lines_begin(&l, body, len);
	while (pgm_lines_next(&l, body, len))
	{
		size_t		p = l.start;

		while (p < l.end && pgm_is_space(body[p]))
			p++;
		if (p == l.end)
			continue;
		if (pgm_dbmate_marker(body, l.start, l.end, "up") ||
			pgm_dbmate_marker(body, l.start, l.end, "down"))
			return 'd';
		if (pgm_goose_line(body, l.start, l.end))
			return 'g';
		if (l.end - p >= 2 && body[p] == '-' && body[p + 1] == '-')
			continue;
		return 0;
	}
	return 0;
}
