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
