/*-------------------------------------------------------------------------
 *
 * format_goose.c
 *	  goose's SQL migration files: one file per migration,
 *	  <version>_<name>.sql, with "-- +goose" annotations.
 *
 * As goose's sqlparser.ParseSQLMigration (internal/sqlparser/parser.go,
 * goose 3.2x) reads them: an annotation is a line that starts with "--"
 * (no blanks before it) whose text after the dashes starts with "+goose";
 * the rest, blanks trimmed and case ignored, is one of Up, Down,
 * StatementBegin, StatementEnd, NO TRANSACTION, ENVSUB ON, ENVSUB OFF, and
 * anything else is an error.  Before Up only blank lines, comments and the
 * section-independent annotations may come; Up comes once; Down only in
 * the up section outside a StatementBegin block; StatementBegin only in a
 * section outside a block, StatementEnd only inside one, and a block left
 * open at the end is an error.  NO TRANSACTION anywhere makes both
 * directions run outside a transaction.
 *
 * Statement boundaries: goose splits a section on lines ending in ";",
 * and StatementBegin/StatementEnd group lines into one statement (a
 * function body with semicolons).  pg_migrate splits a section with the
 * server's own parser, which gets dollar quotes right without help, so the
 * blocks are validated as goose validates them and then need nothing
 * more: a block's statements run in order either way.  goose's refusal of
 * a last statement without ";" is not repeated (the server's parser takes
 * it).  ENVSUB ON is refused: goose substitutes the client's environment
 * variables, which the server does not have.
 *
 * No server headers (see format_text.h).
 *
 * IDENTIFICATION
 *	  src/format_goose.c
 *
 *-------------------------------------------------------------------------
 */
#include "format_text.h"

#include <string.h>

typedef enum GooseState
{
	G_START,
	G_UP,
	G_UP_BLOCK,
	G_DOWN,
	G_DOWN_BLOCK
} GooseState;

typedef enum GooseAnnotation
{
	A_NONE,
	A_UP,
	A_DOWN,
	A_BEGIN,
	A_END,
	A_NO_TX,
	A_ENVSUB_ON,
	A_ENVSUB_OFF,
	A_UNKNOWN
} GooseAnnotation;

static int
equals_ci(const char *s, size_t n, const char *word)
{
	size_t		i;

	if (n != strlen(word))
		return 0;
	for (i = 0; i < n; i++)
	{
		char		c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char) (c - 'A' + 'a');
		if (c != word[i])
			return 0;
	}
	return 1;
}

static GooseAnnotation
annotation(const char *body, size_t start, size_t end)
{
	size_t		p = start + 2;
	size_t		e = end;

	if (!pgm_goose_line(body, start, end))
		return A_NONE;
	while (pgm_is_space(body[p]))
		p++;
	p += 6;						/* "+goose" */
	while (p < e && pgm_is_space(body[p]))
		p++;
	while (e > p && pgm_is_space(body[e - 1]))
		e--;
	if (equals_ci(body + p, e - p, "up"))
		return A_UP;
	if (equals_ci(body + p, e - p, "down"))
		return A_DOWN;
	if (equals_ci(body + p, e - p, "statementbegin"))
		return A_BEGIN;
	if (equals_ci(body + p, e - p, "statementend"))
		return A_END;
	/* goose compares the whole text: one blank between the words */
	if (equals_ci(body + p, e - p, "no transaction"))
		return A_NO_TX;
	if (equals_ci(body + p, e - p, "envsub on"))
		return A_ENVSUB_ON;
	if (equals_ci(body + p, e - p, "envsub off"))
		return A_ENVSUB_OFF;
	return A_UNKNOWN;
}

static int
fail(PgmSections *s, int line, const char *error)
{
	s->error_line = line;
	s->error = error;
	return 0;
}

int
pgm_goose_sections(const char *body, size_t len, PgmSections *s)
{
	PgmLine		l;
	GooseState	state = G_START;
	int			no_tx = 0;
	int			block_line = 0;

	memset(s, 0, sizeof(PgmSections));
	pgm_lines_begin(&l, body, len);
	while (pgm_lines_next(&l, body, len))
	{
		GooseAnnotation a = annotation(body, l.start, l.end);

		switch (a)
		{
			case A_UNKNOWN:
				return fail(s, l.number, "goose does not know this annotation; it knows Up, Down, StatementBegin, StatementEnd, NO TRANSACTION, ENVSUB ON and ENVSUB OFF.");
			case A_ENVSUB_ON:
				return fail(s, l.number, "ENVSUB ON substitutes the client's environment variables, which the database server does not have.");
			case A_ENVSUB_OFF:
				break;
			case A_NO_TX:
				if (no_tx == 0)
					no_tx = l.number;
				break;
			case A_UP:
				if (state != G_START)
					return fail(s, l.number, "A second \"-- +goose Up\" annotation: a migration has one up section.");
				state = G_UP;
				s->up_line = l.number;
				s->up_start = l.next;
				break;
			case A_DOWN:
				if (state == G_START)
					return fail(s, l.number, "\"-- +goose Down\" comes before \"-- +goose Up\"; goose requires the up section first.");
				if (state == G_UP_BLOCK || state == G_DOWN_BLOCK)
					return fail(s, l.number, "\"-- +goose Down\" inside a StatementBegin block; end the block with \"-- +goose StatementEnd\" first.");
				if (state == G_DOWN)
					return fail(s, l.number, "A second \"-- +goose Down\" annotation: a migration has one down section.");
				state = G_DOWN;
				s->up_end = l.start;
				s->has_down = 1;
				s->down_line = l.number;
				s->down_start = l.next;
				s->down_end = len;
				break;
			case A_BEGIN:
				if (state == G_UP)
					state = G_UP_BLOCK;
				else if (state == G_DOWN)
					state = G_DOWN_BLOCK;
				else if (state == G_START)
					return fail(s, l.number, "\"-- +goose StatementBegin\" comes before \"-- +goose Up\"; it belongs in a section.");
				else
					return fail(s, l.number, "\"-- +goose StatementBegin\" inside another StatementBegin block; end that one with \"-- +goose StatementEnd\" first.");
				block_line = l.number;
				break;
			case A_END:
				if (state == G_UP_BLOCK)
					state = G_UP;
				else if (state == G_DOWN_BLOCK)
					state = G_DOWN;
				else
					return fail(s, l.number, "\"-- +goose StatementEnd\" without a \"-- +goose StatementBegin\" before it.");
				break;
			case A_NONE:
				if (state == G_START)
				{
					size_t		p = l.start;

					while (p < l.end && pgm_is_space(body[p]))
						p++;
					if (p < l.end && !(l.end - p >= 2 && body[p] == '-' && body[p + 1] == '-'))
						return fail(s, l.number, "A statement comes before \"-- +goose Up\"; goose requires the annotation first.");
				}
				break;
		}
	}
	if (state == G_START)
		return fail(s, 0, "The file has no \"-- +goose Up\" annotation; goose requires one before the up section.");
	if (state == G_UP_BLOCK || state == G_DOWN_BLOCK)
		return fail(s, block_line, "This \"-- +goose StatementBegin\" has no \"-- +goose StatementEnd\" after it.");
	if (!s->has_down)
		s->up_end = len;
	s->notx_up = no_tx;
	s->notx_down = s->has_down ? no_tx : 0;
	return 1;
}
