/*-------------------------------------------------------------------------
 *
 * lint_suppress.c
 *	  lint-ignore comments: findings a migration's author accepted.
 *
 * A comment line
 *	 -- pg_migrate:lint-ignore set-not-null, no-lock-timeout
 * directly above a statement (in the comment lines right before it, with no
 * blank line between) ignores those rules for that statement; at the top of
 * the file, separated from the first statement by a blank line, for the
 * whole file.  Suppressed findings are still returned, with severity
 * "ignored", so a review sees what was accepted.  Only line comments
 * count; the parser already told where statements start, so a comment
 * inside a string or a function body is never read as one.
 *
 * IDENTIFICATION
 *	  src/lint_suppress.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lint_suppress.h"

#define IGNORE_MARKER "pg_migrate:lint-ignore"

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Start of the line holding offset pos, not before floor. */
static int
line_start(const char *body, int pos, int floor)
{
	while (pos > floor && body[pos - 1] != '\n')
		pos--;
	return pos;
}

/*
 * Classifies the line [from, to): 0 blank, 1 a line comment, 2 anything
 * else; for a lint-ignore comment, appends its rule ids to *rules.
 */
static int
read_line(const char *body, int from, int to, List **rules)
{
	int			p = from;

	while (p < to && is_blank(body[p]))
		p++;
	if (p == to)
		return 0;
	if (to - p < 2 || body[p] != '-' || body[p + 1] != '-')
		return 2;
	p += 2;
	while (p < to && is_blank(body[p]))
		p++;
	if (to - p <= (int) strlen(IGNORE_MARKER) ||
		strncmp(body + p, IGNORE_MARKER, strlen(IGNORE_MARKER)) != 0 ||
		!is_blank(body[p + strlen(IGNORE_MARKER)]))
		return 1;
	p += strlen(IGNORE_MARKER);
	while (p < to)
	{
		int			s;

		while (p < to && (is_blank(body[p]) || body[p] == ','))
			p++;
		s = p;
		while (p < to && !is_blank(body[p]) && body[p] != ',')
			p++;
		if (p > s)
			*rules = lappend(*rules, pnstrdup(body + s, p - s));
	}
	return 1;
}

/*
 * Walks up from the line of statement i over the comment lines directly
 * above it, collecting their rules; returns the offset of the top of that
 * block.
 */
static int
attached_block(const PgmScript *script, int i, List **rules)
{
	const char *body = script->file->body;
	int			floor = i == 0 ? 0 : script->stmts[i].raw->stmt_location;
	int			top = line_start(body, script->stmts[i].start, floor);

	while (top > floor)
	{
		int			prev = line_start(body, top - 1, floor);

		if (read_line(body, prev, top - 1, rules) != 1)
			break;
		top = prev;
	}
	return top;
}

List *
pgm_lint_file_ignores(const PgmScript *script)
{
	const char *body = script->file->body;
	List	   *attached = NIL;
	List	   *rules = NIL;
	int			top;
	int			p = 0;

	if (script->nstmts == 0)
		return NIL;
	top = attached_block(script, 0, &attached);
	while (p < top)
	{
		int			e = p;

		while (e < top && body[e] != '\n')
			e++;
		(void) read_line(body, p, e, &rules);
		p = e + 1;
	}
	list_free_deep(attached);
	return rules;
}

List *
pgm_lint_statement_ignores(const PgmScript *script, int i)
{
	List	   *rules = NIL;

	(void) attached_block(script, i, &rules);
	return rules;
}

bool
pgm_lint_rule_in(List *rules, const char *rule)
{
	ListCell   *lc;

	foreach(lc, rules)
	{
		if (strcmp((const char *) lfirst(lc), rule) == 0)
			return true;
	}
	return false;
}
