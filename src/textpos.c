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
