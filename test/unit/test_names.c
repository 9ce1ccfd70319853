/*-------------------------------------------------------------------------
 *
 * test_names.c
 *	  Unit tests of the plain-C parts: file names (format_golang.c), text
 *	  positions and the line cursor (textpos.c) and first-line markers
 *	  (directives.c).  No server needed.
 *
 * IDENTIFICATION
 *	  test/unit/test_names.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "directives.h"
#include "format_golang.h"
#include "textpos.h"

static int	passed;
static int	failed;

static void
check(int ok, const char *what)
{
	if (ok)
		passed++;
	else
	{
		failed++;
		printf("FAIL: %s\n", what);
	}
}

static void
expect_name(const char *file, PgmNameKind kind, long long version, const char *desc)
{
	PgmName		n = pgm_parse_name(file, strlen(file));
	char		what[512];

	snprintf(what, sizeof(what), "%s: kind %d (want %d)", file, n.kind, kind);
	check(n.kind == kind, what);
	if (kind == PGM_NAME_UP || kind == PGM_NAME_DOWN)
	{
		snprintf(what, sizeof(what), "%s: version %lld (want %lld)", file,
				 (long long) n.version, version);
		check(n.version == version, what);
		snprintf(what, sizeof(what), "%s: description", file);
		check(n.desc_len == strlen(desc) &&
			  memcmp(file + n.desc_start, desc, n.desc_len) == 0, what);
	}
}

static int
directive(const char *body)
{
	return pgm_directive_no_transaction(body, strlen(body));
}

static int
batch_marker(const char *body)
{
	return pgm_directive_batch(body, strlen(body));
}

/* The piece of s from "from" that pgm_next_cut gives is want. */
static void
expect_cut(const char *s, size_t from, size_t min_len, const char *want)
{
	size_t		cut = pgm_next_cut(s, strlen(s), from, min_len);
	char		what[300];

	snprintf(what, sizeof(what), "cut of \"%s\" from %zu", s, from);
	check(cut >= from && cut - from == strlen(want) &&
		  strncmp(s + from, want, strlen(want)) == 0, what);
}

int
main(void)
{
	const char *sql = "-- lead\n/* a /* nested */ c */\n  SELECT 1;\n";

	expect_name("1_create_table.up.sql", PGM_NAME_UP, 1, "create_table");
	expect_name("2_add_field.down.sql", PGM_NAME_DOWN, 2, "add_field");
	expect_name("0001_init.up.sql", PGM_NAME_UP, 1, "init");
	expect_name("20240101120000_x.y.up.sql", PGM_NAME_UP, 20240101120000LL, "x.y");
	expect_name("9223372036854775807_max.up.sql", PGM_NAME_UP, 9223372036854775807LL, "max");
	expect_name("9223372036854775808_over.up.sql", PGM_NAME_OVERFLOW, 0, "");
	expect_name("99999999999999999999999_over.up.sql", PGM_NAME_OVERFLOW, 0, "");
	expect_name("-1_negative.up.sql", PGM_NAME_NEGATIVE, 0, "");
	expect_name("create_users.up.sql", PGM_NAME_INVALID, 0, "");
	expect_name("1-create.up.sql", PGM_NAME_INVALID, 0, "");
	expect_name("1_.up.sql", PGM_NAME_INVALID, 0, "");
	expect_name("1.up.sql", PGM_NAME_INVALID, 0, "");
	expect_name("_x.up.sql", PGM_NAME_INVALID, 0, "");
	expect_name("1_x.sql", PGM_NAME_INVALID, 0, "");
	expect_name(".up.sql", PGM_NAME_IGNORED, 0, "");
	expect_name("1_a.sql.bak", PGM_NAME_IGNORED, 0, "");
	expect_name("README.md", PGM_NAME_IGNORED, 0, "");
	expect_name(".gitkeep", PGM_NAME_IGNORED, 0, "");
	expect_name(".1_hidden.up.sql", PGM_NAME_IGNORED, 0, "");
	expect_name("atlas.sum", PGM_NAME_IGNORED, 0, "");
	expect_name("", PGM_NAME_IGNORED, 0, "");

	/* .sql in any letter case is a .sql name: never silently skipped */
	expect_name("3_x.up.SQL", PGM_NAME_CASE, 0, "");
	expect_name("3_x.UP.sql", PGM_NAME_CASE, 0, "");
	expect_name("3_x.Down.Sql", PGM_NAME_CASE, 0, "");
	expect_name("3_Mixed_Case.up.sql", PGM_NAME_UP, 3, "Mixed_Case");
	expect_name("README.SQL", PGM_NAME_INVALID, 0, "");
	expect_name("1_x.SQL", PGM_NAME_INVALID, 0, "");
	expect_name("x.up.SQL", PGM_NAME_INVALID, 0, "");
	expect_name("-1_x.UP.SQL", PGM_NAME_NEGATIVE, 0, "");
	expect_name("9223372036854775808_x.up.SQL", PGM_NAME_OVERFLOW, 0, "");
	expect_name(".3_x.up.SQL", PGM_NAME_IGNORED, 0, "");
	expect_name("1_a.SQL.bak", PGM_NAME_IGNORED, 0, "");
	check(pgm_name_problem(PGM_NAME_CASE)[0] != '\0', "a reason for PGM_NAME_CASE");

	check(pgm_line_at(sql, 0) == 1, "line of offset 0");
	check(pgm_line_at(sql, strlen(sql)) == 4, "line of end");
	check(pgm_skip_blank(sql, 0, strlen(sql)) == (size_t) (strstr(sql, "SELECT") - sql),
		  "skip comments and nested comments");
	check(pgm_skip_blank("  ", 0, 2) == 2, "skip all blank");
	check(pgm_skip_blank("/* open", 0, 7) == 7, "unterminated comment");
	check(pgm_line_start(sql, strstr(sql, "SELECT") - sql) == (size_t) (strstr(sql, "  SELECT") - sql),
		  "line start");
	check(pgm_trim_end("ab  \n", 0, 5) == 2, "trim end");

	/* the line cursor agrees with pgm_line_at, forward, back and again */
	{
		const char *text = "a\nbc\n\nd;e\nf";
		size_t		len = strlen(text);
		size_t		order[] = {0, 1, 2, 3, 5, 6, 9, 11, 11, 10, 9, 4, 0, 7, 11};
		PgmLineCursor c;
		size_t		i;
		char		what[128];

		pgm_line_cursor_init(&c);
		for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		{
			size_t		off = order[i];

			pgm_line_cursor_seek(&c, text, off);
			snprintf(what, sizeof(what), "cursor line at %zu (step %zu)", off, i);
			check(off <= len && c.off == off && c.line == pgm_line_at(text, off), what);
			snprintf(what, sizeof(what), "cursor line start at %zu (step %zu)", off, i);
			check(c.line_start == pgm_line_start(text, off), what);
		}
	}

	/* ascending positions cost one pass: 200,000 lines, one seek each */
	{
		enum
		{
			NLINES = 200000
		};
		static char big[NLINES * 2 + 1];
		PgmLineCursor c;
		int			i;
		int			ok = 1;

		for (i = 0; i < NLINES; i++)
		{
			big[2 * i] = ';';
			big[2 * i + 1] = '\n';
		}
		pgm_line_cursor_init(&c);
		for (i = 0; i < NLINES; i++)
		{
			pgm_line_cursor_seek(&c, big, (size_t) (2 * i));
			ok = ok && c.line == i + 1 && c.line_start == (size_t) (2 * i);
		}
		pgm_line_cursor_seek(&c, big, sizeof(big) - 1);
		check(ok && c.line == NLINES + 1, "cursor over 200,000 lines");
	}

	/* no-transaction markers: first non-blank line only, case and blanks free */
	check(directive("-- pg_migrate:no-transaction\nVACUUM;") == 1, "pg_migrate marker");
	check(directive("\n  \n-- no-transaction  \nX") == 3, "sqlx marker after blank lines");
	check(directive("-- +goose NO TRANSACTION\n") == 1, "goose marker");
	check(directive("--   +GOOSE   no   transaction") == 1, "goose marker, odd spacing");
	check(directive("SELECT 1;\n-- no-transaction\n") == 0, "marker not on the first line");
	check(directive("-- no-transactions\n") == 0, "a longer word is not the marker");
	check(directive("-- no-trans") == 0, "a cut marker");
	check(directive("") == 0, "empty file");

	/* the batch marker: after a BOM, blank lines and other comment lines */
	check(batch_marker("-- pg_migrate:batch\nUPDATE t SET x = 1;") == 1, "batch marker");
	check(batch_marker("\xEF\xBB\xBF\r\n-- backfill\r\n--PG_MIGRATE:BATCH\r\nUPDATE t;") == 3,
		  "batch marker after a BOM, CRLF and a comment");
	check(batch_marker("UPDATE t SET x = 1;\n-- pg_migrate:batch\n") == 0,
		  "batch marker after a statement");
	check(batch_marker("/* c */\n-- pg_migrate:batch\n") == 0,
		  "a block comment ends the search");
	check(batch_marker("-- pg_migrate:batched\n") == 0, "a longer word");
	check(batch_marker("-") == 0, "a lone dash");
	check(batch_marker("") == 0, "empty file");

	/* where a big file is cut into pieces for the parser */
	expect_cut("SELECT 1; SELECT 2;", 0, 0, "SELECT 1;");
	expect_cut("SELECT 1; SELECT 2;", 0, 10, "SELECT 1; SELECT 2;");
	expect_cut("SELECT 1", 0, 0, "SELECT 1");
	expect_cut("SELECT ';'; x;", 0, 0, "SELECT ';';");
	expect_cut("SELECT 'it''s;'; x;", 0, 0, "SELECT 'it''s;';");
	expect_cut("SELECT E'\\';'; x;", 0, 0, "SELECT E'\\';';");
	expect_cut("SELECT e'\\\\'; x;", 0, 0, "SELECT e'\\\\';");
	expect_cut("SELECT '\\'; x;", 0, 0, "SELECT '\\';");
	expect_cut("SELECT \"a;\"\"b\"; x;", 0, 0, "SELECT \"a;\"\"b\";");
	expect_cut("-- a; b\nSELECT 1; x;", 0, 0, "-- a; b\nSELECT 1;");
	expect_cut("/* a /* ; */ ; */ SELECT 1; x;", 0, 0, "/* a /* ; */ ; */ SELECT 1;");
	expect_cut("DO $$ BEGIN x; END $$; y;", 0, 0, "DO $$ BEGIN x; END $$;");
	expect_cut("DO $f$ a $$; $f$; y;", 0, 0, "DO $f$ a $$; $f$;");
	expect_cut("SELECT $1; y;", 0, 0, "SELECT $1;");
	expect_cut("SELECT a$b; y;", 0, 0, "SELECT a$b;");
	expect_cut("CREATE RULE r AS ON INSERT TO t DO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); y;",
			   0, 0, "CREATE RULE r AS ON INSERT TO t DO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));");
	expect_cut("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END; y;",
			   0, 0, "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END;");
	expect_cut("create or replace procedure p() begin atomic insert into t values (1); end; y;",
			   0, 0, "create or replace procedure p() begin atomic insert into t values (1); end;");
	expect_cut("BEGIN; SELECT 1; END; y;", 0, 0, "BEGIN;");
	expect_cut("SELECT 1; CREATE TABLE begin (id int); SELECT 2;", 10, 0, "CREATE TABLE begin (id int);");
	/* unterminated constructs run to the end: the parser reports them */
	expect_cut("SELECT 'open; x;", 0, 0, "SELECT 'open; x;");
	expect_cut("DO $$ open; x;", 0, 0, "DO $$ open; x;");
	expect_cut("/* open; x;", 0, 0, "/* open; x;");
	{
		/* linear: a million statements, cut every 64 kB, in one pass each */
		static char many[8 * 1000000 + 1];
		size_t		at = 0;
		int			pieces = 0;
		int			i;

		for (i = 0; i < 1000000; i++)
			memcpy(many + 8 * i, "SELECT;\n", 8);
		while (at < sizeof(many) - 1)
		{
			at = pgm_next_cut(many, sizeof(many) - 1, at, 65536);
			pieces++;
		}
		check(pieces == (8000000 + 65535) / 65536 && at == sizeof(many) - 1, "cuts over 8 MB");
	}

	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
