/*-------------------------------------------------------------------------
 *
 * format_text.h
 *	  What other migration tools' files say: their names, their sections
 *	  and markers, diesel's metadata.toml and Drizzle's journal.
 *
 * One reader per tool, each reading what the tool itself reads:
 *	 format_sqlx.c	 sqlx names and its "-- no-transaction" first line
 *	 format_dbmate.c dbmate's "-- migrate:up" / "-- migrate:down" sections
 *	 format_goose.c	 goose's "-- +goose ..." annotations
 *	 format_flyway.c Flyway's V/U/R names and its version order
 *	 format_diesel.c diesel's folder names and metadata.toml
 *	 format_prisma.c Prisma's folder names
 *	 format_drizzle.c Drizzle's meta/_journal.json
 *	 format_atlas.c	 Atlas's atlas.sum and its "atlas:sum ignore" directive
 *
 * Plain C with no server headers: unit-tested (test/unit) and fuzzed
 * (test/fuzz) without a server.  No reader allocates, writes to its input,
 * needs a NUL terminator or reads past the length it is given; every input
 * gets an answer (a result, or an error with its line).
 *
 * Lines end at "\n"; a "\r" before it is part of the line ending (CRLF).  A
 * UTF-8 byte order mark at the very start of a file is skipped by every
 * reader (pgm_skip_bom): editors on Windows write one, and it must not hide
 * a marker on the first line.  (goose and sqlx would not see a marker
 * behind one; dbmate would not see a "-- migrate:up" on the first line.)
 *
 * IDENTIFICATION
 *	  src/format_text.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_FORMAT_TEXT_H
#define PGM_FORMAT_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "format_golang.h"

/* Bytes of a UTF-8 byte order mark at body[0], else 0. */
extern size_t pgm_skip_bom(const char *body, size_t len);

/*
 * The decimal digits at s[0, len): returns how many; their value in *value
 * unless it exceeds INT64_MAX (*overflow set).  Leading zeros are allowed.
 */
extern size_t pgm_read_digits(const char *s, size_t len, int64_t *value, int *overflow);

/* Does name[0, len) end in suffix, exactly or ignoring letter case? */
extern int	pgm_ends_with(const char *name, size_t len, const char *suffix, int ignore_case);

/* Lines of a file, for the readers: [start, end) without "\r\n". */
typedef struct PgmLine
{
	size_t		start;
	size_t		end;
	size_t		next;			/* where the next line starts */
	int			number;			/* 1-based */
} PgmLine;

/* Before the first line (which starts after a byte order mark). */
extern void pgm_lines_begin(PgmLine *l, const char *body, size_t len);

/* Moves to the next line; 0 when there is none. */
extern int	pgm_lines_next(PgmLine *l, const char *body, size_t len);

/* Is c a blank as Go's strings.TrimSpace sees ASCII (space, \t..\r)? */
extern int	pgm_is_space(char c);

/* dbmate's marker on line [start, end): which is "up" or "down". */
extern int	pgm_dbmate_marker(const char *body, size_t start, size_t end, const char *which);

/* Is line [start, end) a goose annotation ("--", blanks, "+goose")? */
extern int	pgm_goose_line(const char *body, size_t start, size_t end);

/* ------------------------------------------------------------ sections */

/*
 * Where the up and down parts of a file that holds both are, and whether
 * each runs outside a transaction.  Ranges are byte offsets [start, end)
 * of the file: from the line after a marker to the start of the next
 * marker's line (or the end of the file).  Lines are 1-based.
 */
typedef struct PgmSections
{
	size_t		up_start;
	size_t		up_end;
	int			up_line;		/* the up marker's line */
	int			has_down;
	size_t		down_start;
	size_t		down_end;
	int			down_line;
	int			notx_up;		/* line of the marker that makes the up part
								 * run outside a transaction; 0: none */
	int			notx_down;

	/* when the reader refuses the file */
	int			error_line;		/* 0: no line (e.g. a marker missing) */
	const char *error;			/* one sentence, static */
} PgmSections;

/*
 * dbmate: "-- migrate:up" then "-- migrate:down" ("--" at the start of the
 * line, any blanks before "migrate", case as written); only blank and
 * comment lines before the up marker; "transaction:false" among the
 * key:value options on a marker line.  Returns 1, or 0 with error set.
 */
extern int	pgm_dbmate_sections(const char *body, size_t len, PgmSections *s);

/*
 * goose: annotations are lines starting with "--" whose text starts with
 * "+goose": Up, Down, StatementBegin, StatementEnd, NO TRANSACTION,
 * ENVSUB ON/OFF (case does not matter, as in goose 3.2x).  Validated as
 * goose's state machine does; another "+goose" line is an error, and so is
 * ENVSUB ON (the server has no client environment to substitute).
 * StatementBegin/End only group lines for goose's own splitting: the
 * server's parser splits the section, so they are checked, not used.
 * Returns 1, or 0 with error set.
 */
extern int	pgm_goose_sections(const char *body, size_t len, PgmSections *s);

/*
 * Does a file of this format start with a marker of it?  For telling
 * dbmate, goose and plain files apart in a folder of <v>_<name>.sql files:
 * looks at the lines before the first line that is neither blank nor a
 * "--" comment.  Returns 'd' (dbmate), 'g' (goose) or 0.
 */
extern int	pgm_sections_sniff(const char *body, size_t len);

/* ---------------------------------------------------------------- sqlx */

/*
 * sqlx: <version>_<description>.sql (PGM_NAME_UP, irreversible),
 * <version>_<description>.up.sql and .down.sql (reversible); the version
 * is the decimal integer before the first "_".
 */
extern PgmName pgm_sqlx_parse_name(const char *name, size_t len);

/* Is this a reversible name (.up.sql/.down.sql)? */
extern int	pgm_sqlx_reversible(const char *name, size_t len);

/* sqlx: 1 if the file starts with "-- no-transaction", else 0. */
extern int	pgm_sqlx_no_transaction(const char *body, size_t len);

/* ------------------------------------------------- dbmate, goose names */

/*
 * <version>_<name>.sql, one file per migration (dbmate, goose, Drizzle):
 * PGM_NAME_UP with the leading decimal version.  A name with .up.sql or
 * .down.sql is another tool's (PGM_NAME_INVALID).
 */
extern PgmName pgm_single_parse_name(const char *name, size_t len);

/* -------------------------------------------------------------- Flyway */

/*
 * Flyway: V<version>__<description>.sql (PGM_NAME_UP), U<version>__... (undo:
 * PGM_NAME_DOWN), R__<description>.sql (PGM_NAME_REPEATABLE).  The version
 * is digits separated by "." or "_" (read as "."); trailing zero parts do
 * not count (1.0 is 1, as in Flyway).  A version with one significant part
 * is read as that integer; a dotted one (1.1) has version 0, keyed by the
 * listing (flyway_version.h).
 */
extern PgmName pgm_flyway_parse_name(const char *name, size_t len);

/*
 * Flyway's version order on versions as written (digits, "." and "_"):
 * part by part, numerically, missing parts 0; <0, 0, >0.
 */
extern int	pgm_flyway_version_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* ---------------------------------------------------- diesel, Prisma */

/*
 * diesel: a migration folder <version>_<name>, the version being digits
 * and "-" (2019-02-26-002946, 00000000000000), read as its digits.
 */
extern PgmName pgm_diesel_parse_dir(const char *name, size_t len);

/*
 * diesel's metadata.toml: the line of "run_in_transaction = false" (0 if
 * absent or true); -1 if the key has another value (*bad_line set).
 */
extern int	pgm_diesel_metadata(const char *body, size_t len, int *bad_line);

/* Prisma: a migration folder <timestamp>_<name>. */
extern PgmName pgm_prisma_parse_dir(const char *name, size_t len);

/* ------------------------------------------------------------- Drizzle */

typedef struct PgmDrizzleEntry
{
	int64_t		idx;
	int64_t		when;			/* milliseconds; Drizzle's order key */
	size_t		tag_start;		/* the tag (file name without .sql): bytes */
	size_t		tag_len;		/* of the journal, no escapes in it */
	int			breakpoints;
	int			line;			/* where the entry starts */
} PgmDrizzleEntry;

/*
 * Reads meta/_journal.json: an object whose "entries" is an array of
 * objects with "idx" and "when" (non-negative integers), "tag" (a string)
 * and "breakpoints" (a boolean); other members are skipped whatever their
 * value.  Stores at most max entries in out and their count in *n.
 * Returns 1, or 0 with *error and *error_line set.  Nesting deeper than 64
 * is refused; the reader runs in linear time.
 */
extern int	pgm_drizzle_journal(const char *json, size_t len, PgmDrizzleEntry *out,
								size_t max, size_t *n, const char **error, int *error_line);

/* --------------------------------------------------------------- Atlas */

/* SHA-256 whose running state can be finalized without ending it. */
typedef struct PgmSha256
{
	uint32_t	h[8];
	uint64_t	bytes;
	unsigned char buf[64];
	size_t		used;
} PgmSha256;

extern void pgm_sha256_init(PgmSha256 *c);
extern void pgm_sha256_update(PgmSha256 *c, const void *data, size_t len);

/* The digest of what was hashed so far; state is left as it was. */
extern void pgm_sha256_final(const PgmSha256 *state, unsigned char digest[32]);

typedef struct PgmAtlasSum
{
	size_t		sum_start;		/* the first line's sum, "h1:" left out */
	size_t		sum_len;
} PgmAtlasSum;

typedef struct PgmAtlasEntry
{
	size_t		name_start;		/* a file name, blanks trimmed */
	size_t		name_len;
	size_t		hash_start;		/* its hash, after "h1:" */
	size_t		hash_len;
	int			line;
} PgmAtlasEntry;

/*
 * Splits atlas.sum: the sum of its first line and, for each further line,
 * a file name and hash; at most max entries stored in out, their count in
 * *n.  Returns 1, or 0 with *error_line the line that has no "h1:".
 */
extern int	pgm_atlas_sum_parse(const char *body, size_t len, PgmAtlasSum *sum,
								PgmAtlasEntry *out, size_t max, size_t *n, int *error_line);

/*
 * Does the file start with Atlas's "atlas:sum ignore" directive (its first
 * line, as Atlas's directive regexp reads it)?  Such a file's bytes are
 * left out of atlas.sum.
 */
extern int	pgm_atlas_sum_ignored(const char *body, size_t len);

#endif							/* PGM_FORMAT_TEXT_H */
