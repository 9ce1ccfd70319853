/*-------------------------------------------------------------------------
 *
 * format_atlas.c
 *	  Atlas's integrity file, atlas.sum, as Atlas reads it
 *	  (sql/migrate/dir.go, HashFile.UnmarshalText), and its
 *	  "atlas:sum ignore" file directive.
 *
 * atlas.sum is a first line "h1:<sum>" and then one line per migration
 * file, "<name> h1:<hash>": the name is what comes before the first "h1:",
 * blanks trimmed; the hash is the rest of the line.  Lines end at "\n" (a
 * "\r" before it is dropped, as Go's bufio.Scanner does).  A line without
 * "h1:" makes the file invalid.  The hashes themselves (SHA-256 over the
 * files in name order, base64) are computed by the server side
 * (folder_atlas.c); this reader only splits the text.
 *
 * No server headers (see format_text.h).
 *
 * IDENTIFICATION
 *	  src/format_atlas.c
 *
 *-------------------------------------------------------------------------
 */
#include "format_text.h"

#include <string.h>

/* The first "h1:" in s[start, end), or end. */
static size_t
find_h1(const char *s, size_t start, size_t end)
{
	size_t		i;

	for (i = start; i + 3 <= end; i++)
		if (s[i] == 'h' && s[i + 1] == '1' && s[i + 2] == ':')
			return i;
	return end;
}

int
pgm_atlas_sum_parse(const char *body, size_t len, PgmAtlasSum *sum, PgmAtlasEntry *out,
					size_t max, size_t *n, int *error_line)
{
	PgmLine		l;
	size_t		count = 0;

	memset(sum, 0, sizeof(PgmAtlasSum));
	*n = 0;
	*error_line = 0;
	pgm_lines_begin(&l, body, len);
	/* no byte order mark in Atlas's reading: it is part of the first line */
	l.next = 0;
	if (!pgm_lines_next(&l, body, len))
		return 1;				/* empty: no sum, no entries */
	/* the first line: "h1:" trimmed if there, the rest is the sum */
	sum->sum_start = l.start;
	if (l.end - l.start >= 3 && memcmp(body + l.start, "h1:", 3) == 0)
		sum->sum_start += 3;
	sum->sum_len = l.end - sum->sum_start;
	while (pgm_lines_next(&l, body, len))
	{
		size_t		h = find_h1(body, l.start, l.end);
		size_t		ns = l.start;
		size_t		ne = h;

		if (h == l.end)
		{
			*error_line = l.number;
			return 0;
		}
		while (ns < ne && pgm_is_space(body[ns]))
			ns++;
		while (ne > ns && pgm_is_space(body[ne - 1]))
			ne--;
		if (count < max)
		{
			out[count].name_start = ns;
			out[count].name_len = ne - ns;
			out[count].hash_start = h + 3;
			out[count].hash_len = l.end - (h + 3);
			out[count].line = l.number;
		}
		count++;
	}
	*n = count;
	return 1;
}

int
pgm_atlas_sum_ignored(const char *body, size_t len)
{
	static const char word[] = "atlas:sum";
	size_t		end = 0;
	size_t		last = len;
	size_t		i;
	size_t		p;

	/* the printable ASCII run at the start: [ -~]* */
	while (end < len && body[end] >= ' ' && body[end] <= '~')
		end++;
	/* the regexp's [ -~]* is greedy: the last "atlas:" of the run counts */
	for (i = 0; i + 6 <= end; i++)
		if (memcmp(body + i, "atlas:", 6) == 0)
			last = i;
	if (last == len || end - last < sizeof(word) - 1 ||
		memcmp(body + last, word, sizeof(word) - 1) != 0)
		return 0;
	p = last + sizeof(word) - 1;
	/* "sum" must be the whole \w+ name */
	if (p < end && ((body[p] >= 'a' && body[p] <= 'z') || (body[p] >= 'A' && body[p] <= 'Z') ||
					(body[p] >= '0' && body[p] <= '9') || body[p] == '_'))
		return 0;
	if (p >= end || body[p] != ' ')
		return 0;
	while (p < end && body[p] == ' ')
		p++;
	return end - p == 6 && memcmp(body + p, "ignore", 6) == 0;
}
