/*-------------------------------------------------------------------------
 *
 * format_drizzle.c
 *	  Drizzle Kit's journal, meta/_journal.json: which migrations a
 *	  Drizzle folder has, in which order.
 *
 * drizzle-orm's readMigrationFiles reads the journal's entries in order
 * and, for each, the file <tag>.sql beside the meta folder; "when" (the
 * milliseconds drizzle-kit generate wrote) is what its migrator compares
 * with the database's last created_at, so it is the order key here too.
 * Statements in a file are separated by "--> statement-breakpoint" lines:
 * SQL comments, so the server's parser needs nothing to split them.
 *
 * The JSON reader is a small recursive-descent parser for the whole JSON
 * grammar (RFC 8259), so any valid journal is read and members it does not
 * know are skipped whatever their value; it keeps only what it needs
 * (idx, when, tag, breakpoints of each entry).  It runs in one pass,
 * nesting is limited to 64 levels, and a tag is refused if it could name a
 * file outside the folder ("/", "\", a leading ".") or needs an escape.
 *
 * No server headers (see format_text.h).
 *
 * IDENTIFICATION
 *	  src/format_drizzle.c
 *
 *-------------------------------------------------------------------------
 */
#include "format_text.h"

#include <string.h>

#define MAX_DEPTH 64

typedef struct Json
{
	const char *s;
	size_t		len;
	size_t		pos;
	int			line;
	const char *error;
	int			error_line;
} Json;

static int
fail(Json *j, const char *error)
{
	if (j->error == NULL)
	{
		j->error = error;
		j->error_line = j->line;
	}
	return 0;
}

static void
skip_ws(Json *j)
{
	while (j->pos < j->len)
	{
		char		c = j->s[j->pos];

		if (c == '\n')
			j->line++;
		else if (c != ' ' && c != '\t' && c != '\r')
			return;
		j->pos++;
	}
}

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string at pos (at its '"'); [*start, *end) its raw bytes, *escaped. */
static int
read_string(Json *j, size_t *start, size_t *end, int *escaped)
{
	*escaped = 0;
	if (j->pos >= j->len || j->s[j->pos] != '"')
		return fail(j, "A string was expected.");
	j->pos++;
	*start = j->pos;
	while (j->pos < j->len)
	{
		unsigned char c = (unsigned char) j->s[j->pos];

		if (c == '"')
		{
			*end = j->pos++;
			return 1;
		}
		if (c < 0x20)
			return fail(j, "A string contains a control character.");
		if (c == '\\')
		{
			*escaped = 1;
			j->pos++;
			if (j->pos >= j->len)
				break;
			c = (unsigned char) j->s[j->pos];
			if (c == 'u')
			{
				int			k;

				for (k = 1; k <= 4; k++)
					if (j->pos + k >= j->len || !is_hex(j->s[j->pos + k]))
						return fail(j, "A \\u escape needs four hexadecimal digits.");
				j->pos += 4;
			}
			else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0')
				return fail(j, "A string contains an invalid escape.");
		}
		j->pos++;
	}
	return fail(j, "A string is not closed.");
}

/* A number; *is_int and *value when it is a non-negative integer in int64. */
static int
read_number(Json *j, int *is_int, int64_t *value)
{
	size_t		start = j->pos;
	int			overflow = 0;
	size_t		ndig;

	*is_int = 1;
	if (j->pos < j->len && j->s[j->pos] == '-')
	{
		*is_int = 0;
		j->pos++;
	}
	if (j->pos >= j->len || j->s[j->pos] < '0' || j->s[j->pos] > '9')
		return fail(j, "A value was expected.");
	ndig = pgm_read_digits(j->s + j->pos, j->len - j->pos, value, &overflow);
	if (ndig > 1 && j->s[j->pos] == '0')
		return fail(j, "A number has a leading zero.");
	j->pos += ndig;
	if (overflow)
		*is_int = 0;
	if (j->pos < j->len && j->s[j->pos] == '.')
	{
		*is_int = 0;
		j->pos++;
		if (j->pos >= j->len || j->s[j->pos] < '0' || j->s[j->pos] > '9')
			return fail(j, "A number has no digits after its decimal point.");
		while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9')
			j->pos++;
	}
	if (j->pos < j->len && (j->s[j->pos] == 'e' || j->s[j->pos] == 'E'))
	{
		*is_int = 0;
		j->pos++;
		if (j->pos < j->len && (j->s[j->pos] == '+' || j->s[j->pos] == '-'))
			j->pos++;
		if (j->pos >= j->len || j->s[j->pos] < '0' || j->s[j->pos] > '9')
			return fail(j, "A number has no digits in its exponent.");
		while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9')
			j->pos++;
	}
	(void) start;
	return 1;
}

static int
read_word(Json *j, const char *word)
{
	size_t		n = strlen(word);

	if (j->len - j->pos < n || memcmp(j->s + j->pos, word, n) != 0)
		return fail(j, "A value was expected.");
	j->pos += n;
	return 1;
}

static int	skip_value(Json *j, int depth);

/*
 * Object or array at pos; member(j, key_start, key_end, escaped, arg) reads
 * each member's value (NULL: skip them), element(j, arg) each element.
 */
typedef int (*MemberFn) (Json *j, size_t ks, size_t ke, int escaped, void *arg, int depth);
typedef int (*ElementFn) (Json *j, void *arg, int depth);

static int
read_object(Json *j, int depth, MemberFn member, void *arg)
{
	if (depth > MAX_DEPTH)
		return fail(j, "The journal nests deeper than 64 levels.");
	j->pos++;					/* '{' */
	skip_ws(j);
	if (j->pos < j->len && j->s[j->pos] == '}')
	{
		j->pos++;
		return 1;
	}
	for (;;)
	{
		size_t		ks,
					ke;
		int			escaped;

		skip_ws(j);
		if (!read_string(j, &ks, &ke, &escaped))
			return 0;
		skip_ws(j);
		if (j->pos >= j->len || j->s[j->pos] != ':')
			return fail(j, "A \":\" was expected after a member name.");
		j->pos++;
		skip_ws(j);
		if (member ? !member(j, ks, ke, escaped, arg, depth + 1) : !skip_value(j, depth + 1))
			return 0;
		skip_ws(j);
		if (j->pos < j->len && j->s[j->pos] == ',')
		{
			j->pos++;
			continue;
		}
		if (j->pos < j->len && j->s[j->pos] == '}')
		{
			j->pos++;
			return 1;
		}
		return fail(j, "A \",\" or \"}\" was expected in an object.");
	}
}

static int
read_array(Json *j, int depth, ElementFn element, void *arg)
{
	if (depth > MAX_DEPTH)
		return fail(j, "The journal nests deeper than 64 levels.");
	j->pos++;					/* '[' */
	skip_ws(j);
	if (j->pos < j->len && j->s[j->pos] == ']')
	{
		j->pos++;
		return 1;
	}
	for (;;)
	{
		skip_ws(j);
		if (element ? !element(j, arg, depth + 1) : !skip_value(j, depth + 1))
			return 0;
		skip_ws(j);
		if (j->pos < j->len && j->s[j->pos] == ',')
		{
			j->pos++;
			continue;
		}
		if (j->pos < j->len && j->s[j->pos] == ']')
		{
			j->pos++;
			return 1;
		}
		return fail(j, "A \",\" or \"]\" was expected in an array.");
	}
}

static int
skip_value(Json *j, int depth)
{
	size_t		a,
				b;
	int			e;
	int64_t		v;

	if (j->pos >= j->len)
		return fail(j, "The journal ends where a value was expected.");
	switch (j->s[j->pos])
	{
		case '{':
			return read_object(j, depth, NULL, NULL);
		case '[':
			return read_array(j, depth, NULL, NULL);
		case '"':
			return read_string(j, &a, &b, &e);
		case 't':
			return read_word(j, "true");
		case 'f':
			return read_word(j, "false");
		case 'n':
			return read_word(j, "null");
		default:
			return read_number(j, &e, &v);
	}
}

/* ------------------------------------------------- the journal's shape */

typedef struct Reader
{
	PgmDrizzleEntry *out;
	size_t		max;
	size_t		n;
	int			seen_entries;
	/* the entry being read */
	PgmDrizzleEntry cur;
	int			has_when;
	int			has_tag;
} Reader;

static int
key_is(Json *j, size_t ks, size_t ke, const char *name)
{
	return ke - ks == strlen(name) && memcmp(j->s + ks, name, ke - ks) == 0;
}

static int
entry_member(Json *j, size_t ks, size_t ke, int escaped, void *arg, int depth)
{
	Reader	   *r = (Reader *) arg;

	if (!escaped && (key_is(j, ks, ke, "idx") || key_is(j, ks, ke, "when")))
	{
		int			is_int;
		int64_t		v;

		if (j->pos >= j->len || j->s[j->pos] < '0' || j->s[j->pos] > '9')
			return fail(j, "An entry's \"idx\" and \"when\" must be non-negative integers.");
		if (!read_number(j, &is_int, &v))
			return 0;
		if (!is_int)
			return fail(j, "An entry's \"idx\" and \"when\" must be non-negative integers that fit in a bigint.");
		if (key_is(j, ks, ke, "idx"))
			r->cur.idx = v;
		else
		{
			r->cur.when = v;
			r->has_when = 1;
		}
		return 1;
	}
	if (!escaped && key_is(j, ks, ke, "tag"))
	{
		size_t		a,
					b,
					i;
		int			e;

		if (j->pos >= j->len || j->s[j->pos] != '"')
			return fail(j, "An entry's \"tag\" must be a string.");
		if (!read_string(j, &a, &b, &e))
			return 0;
		if (e || b == a || j->s[a] == '.')
			return fail(j, "An entry's \"tag\" must be a file name without escapes that does not start with \".\".");
		for (i = a; i < b; i++)
			if (j->s[i] == '/' || j->s[i] == '\\')
				return fail(j, "An entry's \"tag\" must name a file in the migration folder, without \"/\" or \"\\\".");
		r->cur.tag_start = a;
		r->cur.tag_len = b - a;
		r->has_tag = 1;
		return 1;
	}
	if (!escaped && key_is(j, ks, ke, "breakpoints"))
	{
		if (j->pos < j->len && j->s[j->pos] == 't')
		{
			r->cur.breakpoints = 1;
			return read_word(j, "true");
		}
		if (j->pos < j->len && j->s[j->pos] == 'f')
		{
			r->cur.breakpoints = 0;
			return read_word(j, "false");
		}
		return fail(j, "An entry's \"breakpoints\" must be true or false.");
	}
	return skip_value(j, depth);
}

static int
entry_element(Json *j, void *arg, int depth)
{
	Reader	   *r = (Reader *) arg;

	if (j->pos >= j->len || j->s[j->pos] != '{')
		return fail(j, "Each of \"entries\" must be an object.");
	memset(&r->cur, 0, sizeof(r->cur));
	r->cur.line = j->line;
	r->has_when = r->has_tag = 0;
	if (!read_object(j, depth, entry_member, r))
		return 0;
	if (!r->has_when || !r->has_tag)
	{
		j->line = r->cur.line;
		return fail(j, "An entry has no \"when\" or no \"tag\".");
	}
	if (r->n < r->max)
		r->out[r->n] = r->cur;
	r->n++;
	return 1;
}

static int
top_member(Json *j, size_t ks, size_t ke, int escaped, void *arg, int depth)
{
	Reader	   *r = (Reader *) arg;

	if (escaped || !key_is(j, ks, ke, "entries"))
		return skip_value(j, depth);
	if (r->seen_entries)
		return fail(j, "The journal has \"entries\" twice.");
	r->seen_entries = 1;
	if (j->pos >= j->len || j->s[j->pos] != '[')
		return fail(j, "The journal's \"entries\" must be an array.");
	return read_array(j, depth, entry_element, r);
}

int
pgm_drizzle_journal(const char *json, size_t len, PgmDrizzleEntry *out,
					size_t max, size_t *n, const char **error, int *error_line)
{
	Json		j;
	Reader		r;

	memset(&j, 0, sizeof(j));
	memset(&r, 0, sizeof(r));
	j.s = json;
	j.len = len;
	j.pos = pgm_skip_bom(json, len);
	j.line = 1;
	r.out = out;
	r.max = max;
	*n = 0;
	*error = NULL;
	*error_line = 0;

	skip_ws(&j);
	if (j.pos >= j.len || j.s[j.pos] != '{')
		fail(&j, "The journal must be a JSON object.");
	else if (read_object(&j, 1, top_member, &r))
	{
		skip_ws(&j);
		if (j.pos < j.len)
			fail(&j, "The journal has more after its closing \"}\".");
		else if (!r.seen_entries)
			fail(&j, "The journal has no \"entries\".");
	}
	if (j.error != NULL)
	{
		*error = j.error;
		*error_line = j.error_line;
		return 0;
	}
	*n = r.n;
	return 1;
}
