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

/* Byte offset where the line holding offset off starts. */
extern size_t pgm_line_start(const char *s, size_t off);

/*
 * First offset in [start, end) that is not white space or inside an SQL
 * comment ("--" to end of line, nested slash-star comments); end if none.
 */
extern size_t pgm_skip_blank(const char *s, size_t start, size_t end);

/* Offset just past the last character in [start, end) that is not white space. */
extern size_t pgm_trim_end(const char *s, size_t start, size_t end);

#endif							/* PGM_TEXTPOS_H */
