/*-------------------------------------------------------------------------
 *
 * textpos.c
 *	  Lines and blanks inside a migration file.
 *
 * The server's parser gives each statement a byte range that starts right
 * after the previous semicolon, so leading blanks and comments belong to it;
 * an error message should point at the line where the statement really
 * begins, which is what pgm_skip_blank finds.
 *
 * IDENTIFICATION
 *	  src/textpos.c
 *
 *-------------------------------------------------------------------------
 */
#include "textpos.h"

#include <stdbool.h>
#include <string.h>

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int
pgm_line_at(const char *s, size_t off)
{
	int			line = 1;
	size_t		i;

	for (i = 0; i < off; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

void
pgm_line_cursor_init(PgmLineCursor *c)
{
	c->off = 0;
	c->line = 1;
	c->line_start = 0;
}

void
pgm_line_cursor_seek(PgmLineCursor *c, const char *s, size_t off)
{
	const char *p;
	const char *end = s + off;

	if (off < c->line_start)
		pgm_line_cursor_init(c);
	if (off <= c->off)
	{
		/* on the current line: no newline between line_start and off */
		c->off = off;
		return;
	}
	p = s + c->off;
	while ((p = memchr(p, '\n', (size_t) (end - p))) != NULL)
	{
		c->line++;
		c->line_start = (size_t) (++p - s);
	}
	c->off = off;
}

size_t
pgm_line_start(const char *s, size_t off)
{
	while (off > 0 && s[off - 1] != '\n')
		off--;
	return off;
}

size_t
pgm_skip_blank(const char *s, size_t start, size_t end)
{
	size_t		i = start;

	while (i < end)
	{
		if (is_space(s[i]))
			i++;
		else if (s[i] == '-' && i + 1 < end && s[i + 1] == '-')
		{
			while (i < end && s[i] != '\n')
				i++;
		}
		else if (s[i] == '/' && i + 1 < end && s[i + 1] == '*')
		{
			int			depth = 1;

			i += 2;
			while (i < end && depth > 0)
			{
				if (s[i] == '/' && i + 1 < end && s[i + 1] == '*')
				{
					depth++;
					i += 2;
				}
				else if (s[i] == '*' && i + 1 < end && s[i + 1] == '/')
				{
					depth--;
					i += 2;
				}
				else
					i++;
			}
		}
		else
			break;
	}
	return i < end ? i : end;
}

size_t
pgm_trim_end(const char *s, size_t start, size_t end)
{
	while (end > start && is_space(s[end - 1]))
		end--;
	return end;
}

static bool
is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool
is_ident_char(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

static bool
word_is(const char *w, size_t n, const char *kw)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		char		c = w[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (kw[i] == '\0' || c != kw[i])
			return false;
	}
	return kw[n] == '\0';
}

/* Offset past the quote that closes the one at i (doubled quotes stay in). */
static size_t
skip_quoted(const char *s, size_t len, size_t i, char q, bool backslashes)
{
	i++;
	while (i < len)
	{
		if (backslashes && s[i] == '\\')
			i += 2;
		else if (s[i] == q)
		{
			if (i + 1 < len && s[i + 1] == q)
				i += 2;
			else
				return i + 1;
		}
		else
			i++;
	}
	return len;
}

/*
 * Length of the dollar-quote tag ("$", identifier characters but "$", "$")
 * starting at i, or 0 if there is none there.
 */
static size_t
dollar_tag(const char *s, size_t len, size_t i)
{
	size_t		j = i + 1;

	if (j < len && s[j] == '$')
		return 2;
	if (j >= len || !is_ident_start((unsigned char) s[j]))
		return 0;
	while (j < len && is_ident_char((unsigned char) s[j]) && s[j] != '$')
		j++;
	return j < len && s[j] == '$' ? j + 1 - i : 0;
}

/* Offset past the dollar quote whose tag (taglen bytes) starts at i. */
static size_t
skip_dollar(const char *s, size_t len, size_t i, size_t taglen)
{
	size_t		j = i + taglen;

	while (j + taglen <= len)
	{
		const char *p = memchr(s + j, '$', len - j);

		if (p == NULL)
			break;
		j = (size_t) (p - s);
		if (j + taglen <= len && memcmp(s + j, s + i, taglen) == 0)
			return j + taglen;
		j++;
	}
	return len;
}

size_t
pgm_next_cut(const char *s, size_t len, size_t from, size_t min_len)
{
	size_t		i = from;
	int			parens = 0;
	int			begins = 0;

	/* psql's rule: CREATE [OR REPLACE] FUNCTION|PROCEDURE opens BEGIN ... END */
	char		words[4] = {0, 0, 0, 0};
	int			nwords = 0;

	while (i < len)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '-' && i + 1 < len && s[i + 1] == '-')
		{
			const char *nl = memchr(s + i, '\n', len - i);

			i = nl ? (size_t) (nl - s) + 1 : len;
		}
		else if (c == '/' && i + 1 < len && s[i + 1] == '*')
		{
			int			depth = 1;

			i += 2;
			while (i < len && depth > 0)
			{
				if (s[i] == '/' && i + 1 < len && s[i + 1] == '*')
				{
					depth++;
					i += 2;
				}
				else if (s[i] == '*' && i + 1 < len && s[i + 1] == '/')
				{
					depth--;
					i += 2;
				}
				else
					i++;
			}
		}
		else if (c == '\'')
			i = skip_quoted(s, len, i, '\'', false);
		else if (c == '"')
			i = skip_quoted(s, len, i, '"', false);
		else if (c == '$')
		{
			size_t		tag = dollar_tag(s, len, i);

			i = tag > 0 ? skip_dollar(s, len, i, tag) : i + 1;
		}
		else if (c == '(')
		{
			parens++;
			i++;
		}
		else if (c == ')')
		{
			if (parens > 0)
				parens--;
			i++;
		}
		else if (c == ';')
		{
			i++;
			if (parens == 0 && begins == 0)
			{
				if (i - from >= min_len)
					return i;
				nwords = 0;
				memset(words, 0, sizeof(words));
			}
		}
		else if (is_ident_start(c))
		{
			size_t		w = i;
			size_t		n;

			/* E'...' (and e'...'): backslash escapes */
			if ((c == 'e' || c == 'E') && i + 1 < len && s[i + 1] == '\'')
			{
				i = skip_quoted(s, len, i + 1, '\'', true);
				continue;
			}
			while (i < len && is_ident_char((unsigned char) s[i]))
				i++;
			n = i - w;
			if (nwords < 4 &&
				(word_is(s + w, n, "create") || word_is(s + w, n, "function") ||
				 word_is(s + w, n, "procedure") || word_is(s + w, n, "or") ||
				 word_is(s + w, n, "replace")))
				words[nwords] = (char) (s[w] | 0x20);
			nwords++;
			if (words[0] == 'c' &&
				(words[1] == 'f' || words[1] == 'p' ||
				 (words[1] == 'o' && words[2] == 'r' &&
				  (words[3] == 'f' || words[3] == 'p'))) &&
				parens == 0)
			{
				if (word_is(s + w, n, "begin"))
					begins++;
				else if (word_is(s + w, n, "case") && begins > 0)
					begins++;
				else if (word_is(s + w, n, "end") && begins > 0)
					begins--;
			}
		}
		else
			i++;
	}
	return len;
}
