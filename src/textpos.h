/*-------------------------------------------------------------------------
 *
 * textpos.h
 *	  Positions inside a migration file: lines, and where a statement's
 *	  first token starts after blanks and comments.
 *
 * Plain C with no server headers (unit-tested and fuzzed without a server).
 *
 * IDENTIFICATION
 *	  src/textpos.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_TEXTPOS_H
#define PGM_TEXTPOS_H

#include <stddef.h>

/* 1-based line number of byte offset off in s (off <= len of s). */
extern int	pgm_line_at(const char *s, size_t off);

/*
 * A position in a text, cheap to move forward (it reads only the bytes it
 * moves over): the line of byte offset off, and where that line starts.
 * Positions asked in ascending order (a file's statements, one after the
 * other) cost one pass over the text in all, not one pass each.
 */
typedef struct PgmLineCursor
{
	size_t		off;
	int			line;			/* 1-based line of off */
	size_t		line_start;		/* byte offset where that line starts */
} PgmLineCursor;

/* A cursor at the start of a text. */
extern void pgm_line_cursor_init(PgmLineCursor *c);

/*
 * Moves c to byte offset off of s (off <= len of s), reading s[c->off, off)
 * forward.  Moving back within the current line reads nothing; further back
 * it starts again from the beginning of s.
 */
extern void pgm_line_cursor_seek(PgmLineCursor *c, const char *s, size_t off);

/* Byte offset where the line holding offset off starts. */
extern size_t pgm_line_start(const char *s, size_t off);

/*
 * First offset in [start, end) that is not white space or inside an SQL
 * comment ("--" to end of line, nested slash-star comments); end if none.
 */
extern size_t pgm_skip_blank(const char *s, size_t start, size_t end);

/* Offset just past the last character in [start, end) that is not white space. */
extern size_t pgm_trim_end(const char *s, size_t start, size_t end);

/*
 * Where to cut SQL text into pieces the server's parser can take one at a
 * time (a big migration file, whose parse trees all at once would take
 * many times its size): the offset just past the first semicolon at or
 * after from + min_len that ends a statement, reading s[from, len) from a
 * statement boundary at from; len if there is none.
 *
 * A semicolon ends a statement when it is outside quotes ('...', E'...',
 * "..."), dollar quotes, comments and parentheses, and outside the
 * BEGIN ... END body of a CREATE FUNCTION or PROCEDURE (psql's own rule,
 * psqlscan.l).  This is a guess the parser checks: a cut anywhere else
 * leaves an unterminated quote, comment or body in the piece, which the
 * parser refuses, and the caller then parses the rest of the text whole.
 */
extern size_t pgm_next_cut(const char *s, size_t len, size_t from, size_t min_len);

#endif							/* PGM_TEXTPOS_H */
