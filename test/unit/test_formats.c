/*-------------------------------------------------------------------------
 *
 * test_formats.c
 *	  Unit tests of the plain-C readers of other tools' folders
 *	  (format_text.h): sqlx, dbmate, goose, Flyway, diesel, Prisma and
 *	  Drizzle names, sections, markers, metadata.toml and the journal,
 *	  good and bad inputs.  No server needed.
 *
 * IDENTIFICATION
 *	  test/unit/test_formats.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flyway_version.h"
#include "format_text.h"

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

typedef PgmName (*NameFn) (const char *, size_t);

static void
expect_name(NameFn fn, const char *label, const char *name, PgmNameKind kind,
			long long version, const char *ver_text, const char *desc)
{
	PgmName		n = fn(name, strlen(name));
	char		what[512];

	snprintf(what, sizeof(what), "%s %s: kind %d (want %d)", label, name, n.kind, kind);
	check(n.kind == kind, what);
	if (kind == PGM_NAME_UP || kind == PGM_NAME_DOWN)
	{
		snprintf(what, sizeof(what), "%s %s: version %lld (want %lld)", label, name,
				 (long long) n.version, version);
		check(n.version == version, what);
	}
	if (ver_text)
	{
		snprintf(what, sizeof(what), "%s %s: version text", label, name);
		check(n.ver_len == strlen(ver_text) &&
			  memcmp(name + n.ver_start, ver_text, n.ver_len) == 0, what);
	}
	if (desc)
	{
		snprintf(what, sizeof(what), "%s %s: description", label, name);
		check(n.desc_len == strlen(desc) &&
			  memcmp(name + n.desc_start, desc, n.desc_len) == 0, what);
	}
}

static const char *
range(const char *body, size_t start, size_t end)
{
	static char buf[4096];
	size_t		n = end > start ? end - start : 0;

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, body + start, n);
	buf[n] = '\0';
	return buf;
}

typedef int (*SectionFn) (const char *, size_t, PgmSections *);

/* ok: the up and down text, the no-transaction lines */
static void
expect_sections(SectionFn fn, const char *label, const char *body,
				const char *up, const char *down, int notx_up, int notx_down)
{
	PgmSections s;
	int			ok = fn(body, strlen(body), &s);
	char		what[512];

	snprintf(what, sizeof(what), "%s sections accepted: %s (error %s)", label, body,
			 s.error ? s.error : "-");
	check(ok == 1, what);
	if (!ok)
		return;
	snprintf(what, sizeof(what), "%s up section of [%s] is [%s]", label, body,
			 range(body, s.up_start, s.up_end));
	check(strcmp(range(body, s.up_start, s.up_end), up) == 0, what);
	if (down)
	{
		snprintf(what, sizeof(what), "%s down section of [%s] is [%s]", label, body,
				 s.has_down ? range(body, s.down_start, s.down_end) : "(none)");
		check(s.has_down && strcmp(range(body, s.down_start, s.down_end), down) == 0, what);
	}
	else
	{
		snprintf(what, sizeof(what), "%s [%s] has no down section", label, body);
		check(!s.has_down, what);
	}
	snprintf(what, sizeof(what), "%s [%s] no-transaction lines %d %d (want %d %d)", label,
			 body, s.notx_up, s.notx_down, notx_up, notx_down);
	check(s.notx_up == notx_up && s.notx_down == notx_down, what);
}

static void
expect_refused(SectionFn fn, const char *label, const char *body, int line, const char *words)
{
	PgmSections s;
	int			ok = fn(body, strlen(body), &s);
	char		what[512];

	snprintf(what, sizeof(what), "%s refuses [%s]", label, body);
	check(ok == 0 && s.error != NULL, what);
	if (ok)
		return;
	snprintf(what, sizeof(what), "%s [%s]: error line %d (want %d)", label, body, s.error_line, line);
	check(s.error_line == line, what);
	snprintf(what, sizeof(what), "%s [%s]: error \"%s\" says \"%s\"", label, body, s.error, words);
	check(strstr(s.error, words) != NULL, what);
}

static void
test_sqlx(void)
{
	expect_name(pgm_sqlx_parse_name, "sqlx", "20240101120000_create_users.sql", PGM_NAME_UP,
				20240101120000LL, "20240101120000", "create_users");
	expect_name(pgm_sqlx_parse_name, "sqlx", "1_a.up.sql", PGM_NAME_UP, 1, "1", "a");
	expect_name(pgm_sqlx_parse_name, "sqlx", "1_a.down.sql", PGM_NAME_DOWN, 1, "1", "a");
	expect_name(pgm_sqlx_parse_name, "sqlx", "0001_a_b_c.sql", PGM_NAME_UP, 1, "0001", "a_b_c");
	expect_name(pgm_sqlx_parse_name, "sqlx", "create.sql", PGM_NAME_INVALID, 0, NULL, NULL);
	expect_name(pgm_sqlx_parse_name, "sqlx", "1_.sql", PGM_NAME_INVALID, 0, NULL, NULL);
	expect_name(pgm_sqlx_parse_name, "sqlx", "99999999999999999999_x.sql", PGM_NAME_OVERFLOW, 0, NULL, NULL);
	expect_name(pgm_sqlx_parse_name, "sqlx", "1_x.SQL", PGM_NAME_CASE, 0, NULL, NULL);
	expect_name(pgm_sqlx_parse_name, "sqlx", "README.md", PGM_NAME_IGNORED, 0, NULL, NULL);
	expect_name(pgm_sqlx_parse_name, "sqlx", ".1_x.sql", PGM_NAME_IGNORED, 0, NULL, NULL);
	check(pgm_sqlx_reversible("1_a.up.sql", 10) && !pgm_sqlx_reversible("1_a.sql", 7),
		  "sqlx reversible names");

	check(pgm_sqlx_no_transaction("-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);", 54) == 1,
		  "sqlx -- no-transaction on the first line");
	check(pgm_sqlx_no_transaction("\xEF\xBB\xBF-- no-transaction\r\nX;", 25) == 1,
		  "sqlx -- no-transaction after a BOM, CRLF");
	check(pgm_sqlx_no_transaction("\n-- no-transaction\n", 19) == 0,
		  "sqlx: the marker must be the file's first bytes");
	check(pgm_sqlx_no_transaction("--no-transaction\n", 17) == 0,
		  "sqlx: the marker is \"-- no-transaction\" exactly");
	check(pgm_sqlx_no_transaction("-- no-trans", 11) == 0, "sqlx: cut marker");
	check(pgm_sqlx_no_transaction("", 0) == 0, "sqlx: empty file");
}

static void
test_dbmate(void)
{
	SectionFn	f = pgm_dbmate_sections;

	expect_name(pgm_single_parse_name, "dbmate", "20240101120000_create_users.sql", PGM_NAME_UP,
				20240101120000LL, "20240101120000", "create_users");
	expect_name(pgm_single_parse_name, "dbmate", "1_x.up.sql", PGM_NAME_INVALID, 0, NULL, NULL);

	expect_sections(f, "dbmate", "-- migrate:up\nCREATE TABLE t (a int);\n\n-- migrate:down\nDROP TABLE t;\n",
					"CREATE TABLE t (a int);\n\n", "DROP TABLE t;\n", 0, 0);
	/* comments and blank lines before the marker; no space after "--" */
	expect_sections(f, "dbmate", "-- a comment\n\n  -- indented comment\n--migrate:up\nA;\n--   migrate:down\nB;",
					"A;\n", "B;", 0, 0);
	/* options on the marker lines */
	expect_sections(f, "dbmate", "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY i;\n",
					"CREATE INDEX CONCURRENTLY i ON t (a);\n", "DROP INDEX CONCURRENTLY i;\n", 1, 3);
	expect_sections(f, "dbmate", "-- migrate:up transaction:true\nA;\n-- migrate:down\n",
					"A;\n", "", 0, 0);
	expect_sections(f, "dbmate", "-- migrate:up foo:bar transaction:false\nA;\n-- migrate:down\n",
					"A;\n", "", 1, 0);
	expect_sections(f, "dbmate", "-- migrate:up transaction:False\nA;\n-- migrate:down\n",
					"A;\n", "", 0, 0);
	/* BOM and CRLF before the markers */
	expect_sections(f, "dbmate", "\xEF\xBB\xBF-- header\r\n-- migrate:up transaction:false\r\nA;\r\n-- migrate:down\r\nB;\r\n",
					"A;\r\n", "B;\r\n", 2, 0);
	/* "-- migrate:upgrade" is not the marker; a marker-like text mid-line is not */
	expect_sections(f, "dbmate", "-- migrate:up\nSELECT '-- migrate:down';\n-- migrate:upgrade\n-- migrate:down\n",
					"SELECT '-- migrate:down';\n-- migrate:upgrade\n", "", 0, 0);

	expect_refused(f, "dbmate", "CREATE TABLE t (a int);\n", 0, "no \"-- migrate:up\"");
	expect_refused(f, "dbmate", "", 0, "no \"-- migrate:up\"");
	expect_refused(f, "dbmate", "-- migrate:up\nA;\n", 0, "no \"-- migrate:down\"");
	expect_refused(f, "dbmate", "-- migrate:down\nB;\n-- migrate:up\nA;\n", 1, "before");
	expect_refused(f, "dbmate", "-- migrate:up\nA;\n-- migrate:up\nB;\n-- migrate:down\n", 3, "second");
	expect_refused(f, "dbmate", "-- migrate:up\nA;\n-- migrate:down\n-- migrate:down\n", 4, "second");
	expect_refused(f, "dbmate", "-- migrate:up\n-- migrate:down\nB;\n-- migrate:up\n", 4, "second");
	expect_refused(f, "dbmate", "-- migrate:down\n-- migrate:up\n", 1, "before");
	expect_refused(f, "dbmate", "CREATE TYPE s AS ENUM ('a');\n-- migrate:up\nA;\n-- migrate:down\n", 1, "statement");
	expect_refused(f, "dbmate", "/* block */\n-- migrate:up\nA;\n-- migrate:down\n", 1, "statement");
	expect_refused(f, "dbmate", " -- migrate:up\nA;\n-- migrate:down\n", 3, "before");
}

static void
test_goose(void)
{
	SectionFn	f = pgm_goose_sections;

	expect_sections(f, "goose", "-- +goose Up\nCREATE TABLE t (a int);\n-- +goose Down\nDROP TABLE t;\n",
					"CREATE TABLE t (a int);\n", "DROP TABLE t;\n", 0, 0);
	expect_sections(f, "goose", "-- +goose Up\nA;\n", "A;\n", NULL, 0, 0);
	/* StatementBegin/End; case ignored; blanks inside */
	expect_sections(f, "goose",
					"-- comment\n\n-- +goose up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql;\n-- +goose StatementEnd\n--   +goose   DOWN  \n-- +goose statementbegin\nDROP FUNCTION f();\n-- +goose statementend\n",
					"-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql;\n-- +goose StatementEnd\n",
					"-- +goose statementbegin\nDROP FUNCTION f();\n-- +goose statementend\n", 0, 0);
	/* NO TRANSACTION anywhere, both directions; BOM + CRLF */
	expect_sections(f, "goose", "\xEF\xBB\xBF-- +goose NO TRANSACTION\r\n-- +goose Up\r\nCREATE INDEX CONCURRENTLY i ON t (a);\r\n-- +goose Down\r\nDROP INDEX CONCURRENTLY i;\r\n",
					"CREATE INDEX CONCURRENTLY i ON t (a);\r\n", "DROP INDEX CONCURRENTLY i;\r\n", 1, 1);
	expect_sections(f, "goose", "-- +goose Up\nA;\n-- +goose no transaction\n", "A;\n-- +goose no transaction\n", NULL, 3, 0);
	expect_sections(f, "goose", "-- +goose ENVSUB OFF\n-- +goose Up\nA;\n", "A;\n", NULL, 0, 0);
	/* indented "-- +goose" is a comment, as in goose */
	expect_sections(f, "goose", "-- +goose Up\n  -- +goose Down\nA;\n", "  -- +goose Down\nA;\n", NULL, 0, 0);

	expect_refused(f, "goose", "CREATE TABLE t (a int);\n", 1, "before");
	expect_refused(f, "goose", "", 0, "no \"-- +goose Up\"");
	expect_refused(f, "goose", "-- just a comment\n", 0, "no \"-- +goose Up\"");
	expect_refused(f, "goose", "-- +goose Down\nB;\n-- +goose Up\nA;\n", 1, "before");
	expect_refused(f, "goose", "-- +goose Up\nA;\n-- +goose Up\n", 3, "second");
	expect_refused(f, "goose", "-- +goose Up\n-- +goose Down\n-- +goose Down\n", 3, "second");
	expect_refused(f, "goose", "-- +goose Up\n-- +goose Upp\n", 2, "does not know");
	expect_refused(f, "goose", "-- +goose Up\n-- +goose NO  TRANSACTION\n", 2, "does not know");
	expect_refused(f, "goose", "-- +goose Up\n-- +goose\n", 2, "does not know");
	expect_refused(f, "goose", "-- +goose ENVSUB ON\n-- +goose Up\n", 1, "environment");
	expect_refused(f, "goose", "-- +goose Up\n-- +goose StatementBegin\nA;\n", 2, "no \"-- +goose StatementEnd\"");
	expect_refused(f, "goose", "-- +goose Up\n-- +goose StatementEnd\n", 2, "without");
	expect_refused(f, "goose", "-- +goose StatementBegin\n-- +goose Up\n", 1, "before");
	expect_refused(f, "goose", "-- +goose Up\n-- +goose StatementBegin\n-- +goose StatementBegin\n", 3, "inside");
	expect_refused(f, "goose", "-- +goose Up\n-- +goose StatementBegin\n-- +goose Down\n", 3, "inside");

	check(pgm_sections_sniff("-- header\n\n-- migrate:up\nA;", 26) == 'd', "sniff dbmate");
	check(pgm_sections_sniff("\xEF\xBB\xBF-- +goose Up\r\nA;", 19) == 'g', "sniff goose after BOM");
	check(pgm_sections_sniff("-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- migrate:up\n", 70) == 0,
		  "sniff: a statement before any marker is a plain file");
	check(pgm_sections_sniff("", 0) == 0, "sniff empty");
}

static void
test_flyway(void)
{
	NameFn		f = pgm_flyway_parse_name;

	expect_name(f, "flyway", "V1__init.sql", PGM_NAME_UP, 1, "1", "init");
	expect_name(f, "flyway", "V001__Create_users.sql", PGM_NAME_UP, 1, "001", "Create_users");
	expect_name(f, "flyway", "V2.0__x.sql", PGM_NAME_UP, 2, "2.0", "x");
	expect_name(f, "flyway", "V3_0_0__x.sql", PGM_NAME_UP, 3, "3_0_0", "x");
	expect_name(f, "flyway", "U1__init.sql", PGM_NAME_DOWN, 1, "1", "init");
	expect_name(f, "flyway", "V1__.sql", PGM_NAME_UP, 1, "1", "");
	expect_name(f, "flyway", "V1__a__b.sql", PGM_NAME_UP, 1, "1", "a__b");
	/* dotted versions: version 0, keyed by the listing */
	expect_name(f, "flyway", "V1.1__x.sql", PGM_NAME_UP, 0, "1.1", "x");
	expect_name(f, "flyway", "V1_10__x.sql", PGM_NAME_UP, 0, "1_10", "x");
	expect_name(f, "flyway", "V0.0.1__x.sql", PGM_NAME_UP, 0, "0.0.1", "x");
	expect_name(f, "flyway", "U1.1__x.sql", PGM_NAME_DOWN, 0, "1.1", "x");
	expect_name(f, "flyway", "R__views.sql", PGM_NAME_REPEATABLE, 0, NULL, "views");
	expect_name(f, "flyway", "V1_init.sql", PGM_NAME_NOSEP, 0, NULL, NULL);
	expect_name(f, "flyway", "Vinit.sql", PGM_NAME_NOSEP, 0, NULL, NULL);
	expect_name(f, "flyway", "V1.sql", PGM_NAME_NOSEP, 0, NULL, NULL);
	expect_name(f, "flyway", "V__x.sql", PGM_NAME_BADVERSION, 0, NULL, NULL);
	expect_name(f, "flyway", "V1a__x.sql", PGM_NAME_BADVERSION, 0, NULL, NULL);
	expect_name(f, "flyway", "V1..2__x.sql", PGM_NAME_BADVERSION, 0, NULL, NULL);
	expect_name(f, "flyway", "V.1__x.sql", PGM_NAME_BADVERSION, 0, NULL, NULL);
	expect_name(f, "flyway", "V1.__x.sql", PGM_NAME_BADVERSION, 0, NULL, NULL);
	expect_name(f, "flyway", "R1__x.sql", PGM_NAME_BADVERSION, 0, NULL, NULL);
	expect_name(f, "flyway", "V99999999999999999999__x.sql", PGM_NAME_OVERFLOW, 0, NULL, NULL);
	expect_name(f, "flyway", "V1__x.SQL", PGM_NAME_CASE, 0, NULL, NULL);
	expect_name(f, "flyway", "1_init.sql", PGM_NAME_INVALID, 0, NULL, NULL);
	expect_name(f, "flyway", "flyway.conf", PGM_NAME_IGNORED, 0, NULL, NULL);

#define CMP(a, b) pgm_flyway_version_cmp(a, strlen(a), b, strlen(b))
	check(CMP("1.10", "1.9") > 0, "flyway 1.10 after 1.9");
	check(CMP("1.9", "1.10") < 0, "flyway 1.9 before 1.10");
	check(CMP("1.0", "1") == 0, "flyway 1.0 is 1");
	check(CMP("1_1", "1.1") == 0, "flyway 1_1 is 1.1");
	check(CMP("001.02", "1.2") == 0, "flyway leading zeros");
	check(CMP("2", "1.999") > 0, "flyway 2 after 1.999");
	check(CMP("1.2.3", "1.2") > 0, "flyway 1.2.3 after 1.2");
	check(CMP("12345678901234567890123", "12345678901234567890124") < 0,
		  "flyway parts longer than a bigint");
	check(CMP("", "0") == 0, "flyway empty is 0");
#undef CMP
}

/* The bigint key of a Flyway version (flyway_version.h). */
static int64_t
fkey(const char *v)
{
	int64_t		k = -1;

	if (pgm_flyway_version_key(v, strlen(v), &k) != PGM_FLYWAY_KEY_OK)
		return -1;
	return k;
}

static void
test_flyway_keys(void)
{
	static const char *const ordered[] = {
		"0", "0.0.0.1", "0.1", "1", "1.0.0.1", "1.1", "1.2", "1.9", "1.10",
		"1.10.1", "1.99", "2", "2.0.1", "10", "999999.9999.9999.9999"
	};
	int			i;
	int			j;
	int64_t		k;

	check(fkey("1") == PGM_FLYWAY_KEY_BASE + INT64_C(1000000000000), "flyway key of 1");
	check(fkey("1.10") == INT64_C(1000001001000000000), "flyway key of 1.10");
	check(fkey("0") == PGM_FLYWAY_KEY_BASE, "flyway key of 0 is the base");
	check(fkey("999999.9999.9999.9999") == PGM_FLYWAY_KEY_LAST, "flyway last key");
	check(fkey("1.0") == fkey("1") && fkey("1.0.0.0.0.0") == fkey("1"),
		  "flyway trailing zero parts do not count");
	check(fkey("001.02") == fkey("1.2") && fkey("1_2") == fkey("1.2"),
		  "flyway leading zeros and underscores");
	check(fkey("1.2.3.4.0") == fkey("1.2.3.4"), "flyway four parts and a zero");

	/* the key order is Flyway's order */
	for (i = 0; i < (int) (sizeof(ordered) / sizeof(ordered[0])); i++)
		for (j = 0; j < (int) (sizeof(ordered) / sizeof(ordered[0])); j++)
		{
			char		what[128];
			int			c = pgm_flyway_version_cmp(ordered[i], strlen(ordered[i]),
												   ordered[j], strlen(ordered[j]));
			int64_t		ki = fkey(ordered[i]);
			int64_t		kj = fkey(ordered[j]);

			snprintf(what, sizeof(what), "flyway key order %s vs %s", ordered[i], ordered[j]);
			check(ki > 0 && kj > 0 && (i < j ? c < 0 && ki < kj : i > j ? c > 0 && ki > kj :
									   c == 0 && ki == kj), what);
		}

	/* out of range, and bad syntax */
	check(pgm_flyway_version_key("1.2.3.4.5", 9, &k) == PGM_FLYWAY_KEY_PARTS, "flyway five parts");
	check(pgm_flyway_version_key("1000000.1", 9, &k) == PGM_FLYWAY_KEY_RANGE, "flyway first part too big");
	check(pgm_flyway_version_key("1.10000", 7, &k) == PGM_FLYWAY_KEY_RANGE, "flyway other part too big");
	check(pgm_flyway_version_key("1.0.0.10000", 11, &k) == PGM_FLYWAY_KEY_RANGE, "flyway fourth part too big");
	check(pgm_flyway_version_key("99999999999999999999999.1", 25, &k) == PGM_FLYWAY_KEY_RANGE,
		  "flyway part longer than a bigint");
	check(pgm_flyway_version_key("1.000000000000000000000000", 26, &k) == PGM_FLYWAY_KEY_OK &&
		  k == fkey("1"), "flyway long zero part");
	check(pgm_flyway_version_key("", 0, &k) == PGM_FLYWAY_KEY_SYNTAX, "flyway empty version");
	check(pgm_flyway_version_key("1..2", 4, &k) == PGM_FLYWAY_KEY_SYNTAX, "flyway empty part");
	check(pgm_flyway_version_key("1.", 2, &k) == PGM_FLYWAY_KEY_SYNTAX, "flyway trailing dot");
	check(pgm_flyway_version_key("-1", 2, &k) == PGM_FLYWAY_KEY_SYNTAX, "flyway negative");
	check(pgm_flyway_version_key("1.a", 3, &k) == PGM_FLYWAY_KEY_SYNTAX, "flyway letter");
	check(pgm_flyway_version_key("1.2", 1, &k) == PGM_FLYWAY_KEY_OK && k == fkey("1"),
		  "flyway key reads only len bytes");

	check(pgm_flyway_is_dotted("1.1", 3) && pgm_flyway_is_dotted("0.0.1", 5) &&
		  pgm_flyway_is_dotted("1_10", 4), "flyway dotted");
	check(!pgm_flyway_is_dotted("1", 1) && !pgm_flyway_is_dotted("1.0", 3) &&
		  !pgm_flyway_is_dotted("001.000", 7) && !pgm_flyway_is_dotted("1..1", 4) &&
		  !pgm_flyway_is_dotted("", 0), "flyway not dotted");
}

static void
test_diesel_prisma(void)
{
	int			bad;

	expect_name(pgm_diesel_parse_dir, "diesel", "2019-02-26-002946_create_users", PGM_NAME_UP,
				20190226002946LL, "2019-02-26-002946", "create_users");
	expect_name(pgm_diesel_parse_dir, "diesel", "00000000000000_diesel_initial_setup", PGM_NAME_UP,
				0, "00000000000000", "diesel_initial_setup");
	expect_name(pgm_diesel_parse_dir, "diesel", "20240101_", PGM_NAME_UP, 20240101, "20240101", "");
	expect_name(pgm_diesel_parse_dir, "diesel", "create_users", PGM_NAME_INVALID, 0, NULL, NULL);
	expect_name(pgm_diesel_parse_dir, "diesel", "2019", PGM_NAME_INVALID, 0, NULL, NULL);
	expect_name(pgm_diesel_parse_dir, "diesel", "---_x", PGM_NAME_INVALID, 0, NULL, NULL);
	expect_name(pgm_diesel_parse_dir, "diesel", "9999-9999-9999-9999-9999_x", PGM_NAME_OVERFLOW, 0, NULL, NULL);
	expect_name(pgm_diesel_parse_dir, "diesel", ".git", PGM_NAME_IGNORED, 0, NULL, NULL);

#define META(s) pgm_diesel_metadata(s, strlen(s), &bad)
	check(META("run_in_transaction = false\n") == 1, "diesel metadata false");
	check(META("# comment\r\n\r\nrun_in_transaction=false # no tx\r\n") == 3, "diesel metadata CRLF, comment");
	check(META("\"run_in_transaction\" = false") == 1, "diesel metadata quoted key");
	check(META("run_in_transaction = true\n") == 0, "diesel metadata true");
	check(META("") == 0, "diesel metadata empty");
	check(META("run_in_transaction_x = false\n") == 0, "diesel metadata other key");
	check(META("[table]\nrun_in_transaction = false\n") == 0, "diesel metadata key of a table");
	check(META("\n\nrun_in_transaction = \"false\"\n") == -1 && bad == 3, "diesel metadata string value refused");
	check(META("run_in_transaction = no\n") == -1 && bad == 1, "diesel metadata other value refused");
	check(META("run_in_transaction = false true\n") == -1, "diesel metadata trailing text refused");
#undef META

	expect_name(pgm_prisma_parse_dir, "prisma", "20240101120000_init", PGM_NAME_UP,
				20240101120000LL, "20240101120000", "init");
	expect_name(pgm_prisma_parse_dir, "prisma", "init", PGM_NAME_INVALID, 0, NULL, NULL);
	expect_name(pgm_prisma_parse_dir, "prisma", "20240101120000_", PGM_NAME_INVALID, 0, NULL, NULL);
	expect_name(pgm_prisma_parse_dir, "prisma", "migration_lock.toml", PGM_NAME_INVALID, 0, NULL, NULL);
}

static int
journal(const char *json, PgmDrizzleEntry *out, size_t max, size_t *n, const char **error, int *line)
{
	return pgm_drizzle_journal(json, strlen(json), out, max, n, error, line);
}

static void
expect_journal_refused(const char *json, int line, const char *words)
{
	PgmDrizzleEntry e[4];
	size_t		n;
	const char *error;
	int			eline;
	int			ok = journal(json, e, 4, &n, &error, &eline);
	char		what[512];

	snprintf(what, sizeof(what), "drizzle journal refused: %s", json);
	check(!ok && error != NULL, what);
	if (ok)
		return;
	snprintf(what, sizeof(what), "drizzle journal %s: line %d (want %d)", json, eline, line);
	check(eline == line, what);
	snprintf(what, sizeof(what), "drizzle journal %s: error \"%s\" says \"%s\"", json, error, words);
	check(strstr(error, words) != NULL, what);
}

static void
test_drizzle(void)
{
	const char *j = "\xEF\xBB\xBF{\r\n  \"version\": \"7\",\r\n  \"dialect\": \"postgresql\",\r\n"
		"  \"entries\": [\r\n"
		"    {\"idx\": 0, \"version\": \"7\", \"when\": 1700000000000, \"tag\": \"0000_init\", \"breakpoints\": true},\r\n"
		"    {\"extra\": {\"a\": [1, 2.5e3, -0.1, null, false, \"\\u00e9\\n\"]}, \"tag\": \"0001_more\", \"when\": 1700000000001, \"idx\": 1, \"breakpoints\": false}\r\n"
		"  ]\r\n}\r\n";
	PgmDrizzleEntry e[4];
	size_t		n;
	const char *error;
	int			line;
	char		deep[400];
	int			i;

	check(journal(j, e, 4, &n, &error, &line) == 1, "drizzle journal read");
	check(n == 2, "drizzle journal: two entries");
	check(e[0].idx == 0 && e[0].when == 1700000000000LL && e[0].breakpoints == 1 &&
		  e[0].tag_len == 9 && memcmp(j + e[0].tag_start, "0000_init", 9) == 0 && e[0].line == 5,
		  "drizzle journal: first entry");
	check(e[1].idx == 1 && e[1].when == 1700000000001LL && e[1].breakpoints == 0 &&
		  e[1].tag_len == 9 && memcmp(j + e[1].tag_start, "0001_more", 9) == 0,
		  "drizzle journal: second entry, members in another order");
	check(journal("{\"entries\": []}", e, 4, &n, &error, &line) == 1 && n == 0, "drizzle journal: no entries");
	check(journal("{\"entries\": [{\"when\": 1, \"tag\": \"a\"}, {\"when\": 2, \"tag\": \"b\"}]}", e, 1, &n, &error, &line) == 1 && n == 2,
		  "drizzle journal: count beyond max");

	expect_journal_refused("", 1, "object");
	expect_journal_refused("[]", 1, "object");
	expect_journal_refused("{}", 1, "no \"entries\"");
	expect_journal_refused("{\"entries\": {}}", 1, "array");
	expect_journal_refused("{\"entries\": [1]}", 1, "object");
	expect_journal_refused("{\"entries\": [{\"tag\": \"a\"}]}", 1, "no \"when\"");
	expect_journal_refused("{\"entries\": [{\"when\": 1}]}", 1, "no \"when\" or no \"tag\"");
	expect_journal_refused("{\"entries\": [{\"when\": -1, \"tag\": \"a\"}]}", 1, "non-negative");
	expect_journal_refused("{\"entries\": [{\"when\": 1.5, \"tag\": \"a\"}]}", 1, "integers");
	expect_journal_refused("{\"entries\": [{\"when\": 99999999999999999999, \"tag\": \"a\"}]}", 1, "bigint");
	expect_journal_refused("{\"entries\": [{\"when\": 1, \"tag\": \"../x\"}]}", 1, "\".\"");
	expect_journal_refused("{\"entries\": [{\"when\": 1, \"tag\": \"a/b\"}]}", 1, "\"/\"");
	expect_journal_refused("{\"entries\": [{\"when\": 1, \"tag\": \"a\\u002fb\"}]}", 1, "escapes");
	expect_journal_refused("{\"entries\": [{\"when\": 1, \"tag\": 5}]}", 1, "string");
	expect_journal_refused("{\"entries\": [{\"when\": 1, \"tag\": \"a\", \"breakpoints\": 1}]}", 1, "true or false");
	expect_journal_refused("{\"entries\": [], \"entries\": []}", 1, "twice");
	expect_journal_refused("{\"entries\": []} x", 1, "more after");
	expect_journal_refused("{\"entries\": [}", 1, "object");
	expect_journal_refused("{\"a\": [1,]}", 1, "value");
	expect_journal_refused("{\n\"entries\": [\n{\"when\": 01, \"tag\": \"a\"}]}", 3, "leading zero");
	expect_journal_refused("{\"a\": \"x\ny\", \"entries\": []}", 1, "control");
	expect_journal_refused("{\"a\": \"\\x\", \"entries\": []}", 1, "escape");
	expect_journal_refused("{\"a\": \"abc", 1, "not closed");
	expect_journal_refused("{\"a\" 1}", 1, "\":\"");
	expect_journal_refused("{\"a\": tru}", 1, "value");
	expect_journal_refused("{\"a\": 1 \"b\": 2}", 1, "\",\" or \"}\"");

	/* nesting: 70 arrays deep is refused, not a stack overflow */
	memcpy(deep, "{\"a\": ", 6);
	for (i = 0; i < 70; i++)
		deep[6 + i] = '[';
	deep[76] = '\0';
	expect_journal_refused(deep, 1, "64 levels");
}

static void
hex(const unsigned char *d, size_t n, char *out)
{
	size_t		i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void
expect_sha256(const char *data, size_t len, const char *want, const char *what)
{
	PgmSha256	c;
	unsigned char d[32];
	char		got[65];
	size_t		i;

	/* in one piece */
	pgm_sha256_init(&c);
	pgm_sha256_update(&c, data, len);
	pgm_sha256_final(&c, d);
	hex(d, 32, got);
	check(strcmp(got, want) == 0, what);
	/* byte by byte, finalizing a copy midway changes nothing */
	pgm_sha256_init(&c);
	for (i = 0; i < len; i++)
	{
		pgm_sha256_update(&c, data + i, 1);
		if (i == len / 2)
			pgm_sha256_final(&c, d);
	}
	pgm_sha256_final(&c, d);
	hex(d, 32, got);
	check(strcmp(got, want) == 0, what);
}

static void
test_atlas(void)
{
	static char million[1000000];
	const char *sumfile = "h1:abc=\nb.sql h1:x=\r\n  a b.sql   h1:y=\n";
	PgmAtlasSum sum;
	PgmAtlasEntry e[4];
	size_t		n;
	int			line;

	/* FIPS 180-4 examples */
	expect_sha256("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256 empty");
	expect_sha256("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 abc");
	expect_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
				  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "sha256 56 bytes");
	memset(million, 'a', sizeof(million));
	expect_sha256(million, sizeof(million),
				  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "sha256 a million a");

	check(pgm_atlas_sum_parse(sumfile, strlen(sumfile), &sum, e, 4, &n, &line) == 1 && n == 2,
		  "atlas.sum parsed");
	check(sum.sum_len == 4 && memcmp(sumfile + sum.sum_start, "abc=", 4) == 0, "atlas.sum sum");
	check(e[0].name_len == 5 && memcmp(sumfile + e[0].name_start, "b.sql", 5) == 0 &&
		  e[0].hash_len == 2 && memcmp(sumfile + e[0].hash_start, "x=", 2) == 0 && e[0].line == 2,
		  "atlas.sum entry, CRLF");
	check(e[1].name_len == 7 && memcmp(sumfile + e[1].name_start, "a b.sql", 7) == 0 &&
		  e[1].hash_len == 2, "atlas.sum entry, blanks trimmed");
	check(pgm_atlas_sum_parse("h1:x\n\nb.sql h1:y\n", 18, &sum, e, 4, &n, &line) == 0 && line == 2,
		  "atlas.sum blank line refused");
	check(pgm_atlas_sum_parse("h1:x\nb.sql y\n", 13, &sum, e, 4, &n, &line) == 0 && line == 2,
		  "atlas.sum line without h1: refused");
	check(pgm_atlas_sum_parse("", 0, &sum, e, 4, &n, &line) == 1 && n == 0 && sum.sum_len == 0,
		  "atlas.sum empty");

#define IGN(s) pgm_atlas_sum_ignored(s, strlen(s))
	check(IGN("-- atlas:sum ignore\nSELECT 1;"), "atlas:sum ignore");
	check(IGN("-- atlas:sum   ignore\r\nSELECT 1;"), "atlas:sum ignore, blanks, CRLF");
	check(!IGN("-- atlas:sum ignore please\n"), "atlas:sum with another mode");
	check(!IGN("-- atlas:summary ignore\n"), "atlas:summary is another directive");
	check(!IGN("SELECT 1;\n-- atlas:sum ignore\n"), "atlas:sum on a later line");
	check(!IGN("-- atlas:sum\n"), "atlas:sum without a mode");
	check(!IGN(""), "empty file");
#undef IGN
}

/* Linear time: a huge journal and a huge dbmate/goose file finish. */
static void
test_large(void)
{
	size_t		count = 200000;
	size_t		per = 64;
	char	   *buf = malloc(count * per + 64);
	size_t		len = 0;
	size_t		i;
	PgmDrizzleEntry *e = malloc(sizeof(PgmDrizzleEntry) * count);
	size_t		n;
	const char *error;
	int			line;
	PgmSections s;

	if (buf == NULL || e == NULL)
		abort();
	len += sprintf(buf + len, "{\"entries\": [");
	for (i = 0; i < count; i++)
		len += sprintf(buf + len, "%s{\"when\": %zu, \"tag\": \"%06zu_x\"}", i ? "," : "", i, i);
	len += sprintf(buf + len, "]}");
	check(pgm_drizzle_journal(buf, len, e, count, &n, &error, &line) == 1 && n == count &&
		  e[count - 1].when == (int64_t) (count - 1), "drizzle journal of 200,000 entries");

	len = sprintf(buf, "-- +goose Up\n");
	for (i = 0; i < count; i++)
		len += sprintf(buf + len, "-- +goose StatementBegin\nSELECT 1;\n-- +goose StatementEnd\n");
	check(pgm_goose_sections(buf, len, &s) == 1 && s.up_end == len, "goose file of 600,000 lines");
	len = sprintf(buf, "-- migrate:up\n");
	for (i = 0; i < count; i++)
		len += sprintf(buf + len, "SELECT 1; -- migrate:down\n");
	len += sprintf(buf + len, "-- migrate:down\n");
	check(pgm_dbmate_sections(buf, len, &s) == 1 && s.down_end == len, "dbmate file of 200,000 lines");
	free(buf);
	free(e);
}

int
main(void)
{
	test_sqlx();
	test_dbmate();
	test_goose();
	test_flyway();
	test_flyway_keys();
	test_diesel_prisma();
	test_drizzle();
	test_atlas();
	test_large();
	printf("test_formats: %d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
