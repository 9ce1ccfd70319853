/*-------------------------------------------------------------------------
 *
 * fuzz_formats.c
 *	  libFuzzer harness for the plain-C readers of other tools' folders
 *	  (src/format_text.h): sqlx, dbmate, goose, Flyway, diesel and Prisma
 *	  names, dbmate and goose sections, the sniffing of a file's first
 *	  lines, sqlx's first-line marker, diesel's metadata.toml, Flyway's
 *	  version order and Drizzle's journal.
 *
 * Every reader gets a heap copy that ends exactly where its input ends, so
 * AddressSanitizer reports any read past it (nothing is NUL-terminated),
 * and the copy is compared afterwards (no reader writes to its input).
 * The results are checked against the contracts in format_text.h: ranges
 * inside the input and in order, lines inside the file, an error sentence
 * with every refusal, a tag without "/" and so on.  A violation prints
 * what went wrong and abort()s, which libFuzzer reports as a crash.
 *
 * Built and run by test/fuzz/run.sh (`make fuzz`).
 *
 * IDENTIFICATION
 *	  test/fuzz/fuzz_formats.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flyway_version.h"
#include "format_text.h"

static const uint8_t *g_data;
static size_t g_size;

static void
fail(const char *what, size_t a, size_t b)
{
	size_t		i;

	fprintf(stderr, "fuzz_formats: invariant violated: %s (a=%zu b=%zu, %zu bytes:",
			what, a, b, g_size);
	for (i = 0; i < g_size && i < 256; i++)
		fprintf(stderr, " %02x", g_data[i]);
	fprintf(stderr, "%s)\n", g_size > 256 ? " ..." : "");
	abort();
}

#define CHECK(cond, what, a, b) \
	do { if (!(cond)) fail((what), (size_t) (a), (size_t) (b)); } while (0)

/* an exact-size heap copy: reading at or past size is an over-read */
static char *
copy_of(const uint8_t *data, size_t size)
{
	char	   *c = malloc(size ? size : 1);

	if (c == NULL)
		abort();
	memcpy(c, data, size);
	return c;
}

static void
unchanged(const char *c, const uint8_t *data, size_t size, const char *who)
{
	CHECK(memcmp(c, data, size) == 0, who, 0, size);
}

static int
lines_of(const uint8_t *data, size_t size)
{
	int			n = 1;
	size_t		i;

	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			n++;
	return n;
}

static void
check_name(PgmName (*fn) (const char *, size_t), const uint8_t *data, size_t size,
		   const char *who)
{
	char	   *c = copy_of(data, size);
	PgmName		n = fn(c, size);

	unchanged(c, data, size, who);
	free(c);
	CHECK(n.kind >= PGM_NAME_IGNORED && n.kind <= PGM_NAME_REPEATABLE, who, n.kind, 0);
	if (n.kind == PGM_NAME_UP || n.kind == PGM_NAME_DOWN)
	{
		CHECK(n.version >= 0, "negative version", 0, 0);
		CHECK(n.ver_start <= size && n.ver_len <= size - n.ver_start, "version past the end",
			  n.ver_start, n.ver_len);
		CHECK(n.desc_start <= size && n.desc_len <= size - n.desc_start,
			  "description past the end", n.desc_start, n.desc_len);
		CHECK(n.ver_len > 0, "empty version", 0, 0);
	}
}

static void
check_sections(int (*fn) (const char *, size_t, PgmSections *), const uint8_t *data,
			   size_t size, const char *who)
{
	char	   *c = copy_of(data, size);
	PgmSections s;
	int			ok = fn(c, size, &s);
	int			lines = lines_of(data, size);

	unchanged(c, data, size, who);
	free(c);
	if (!ok)
	{
		CHECK(s.error != NULL && s.error[0] != '\0', "refusal without a reason", 0, 0);
		CHECK(s.error_line >= 0 && s.error_line <= lines, "error line outside the file",
			  s.error_line, lines);
		return;
	}
	CHECK(s.error == NULL, "accepted with an error", 0, 0);
	CHECK(s.up_start <= s.up_end && s.up_end <= size, "up range", s.up_start, s.up_end);
	CHECK(s.up_line >= 1 && s.up_line <= lines, "up marker line", s.up_line, lines);
	CHECK(s.notx_up >= 0 && s.notx_up <= lines, "no-transaction line", s.notx_up, lines);
	if (s.has_down)
	{
		CHECK(s.up_end <= s.down_start && s.down_start <= s.down_end && s.down_end <= size,
			  "down range", s.down_start, s.down_end);
		CHECK(s.down_line > s.up_line && s.down_line <= lines, "down marker line",
			  s.down_line, s.up_line);
		CHECK(s.notx_down >= 0 && s.notx_down <= lines, "no-transaction line", s.notx_down, lines);
		/* the down marker's line lies between the two sections */
		CHECK(s.down_start == size || (s.down_start > 0 && data[s.down_start - 1] == '\n'),
			  "down section does not start a line", s.down_start, 0);
	}
	else
		CHECK(s.up_end == size, "up section without down does not reach the end", s.up_end, size);
	/* a section starts at the start of a line */
	CHECK(s.up_start == size || (s.up_start > 0 && data[s.up_start - 1] == '\n'),
		  "up section does not start a line", s.up_start, 0);
}

static void
check_journal(const uint8_t *data, size_t size)
{
	char	   *c = copy_of(data, size);
	size_t		max = 1;
	size_t		n;
	size_t		i;
	const char *error;
	int			line;
	PgmDrizzleEntry *out;
	int			ok;

	for (i = 0; i < size; i++)
		if (data[i] == '{')
			max++;
	out = malloc(sizeof(PgmDrizzleEntry) * max);
	if (out == NULL)
		abort();
	ok = pgm_drizzle_journal(c, size, out, max, &n, &error, &line);
	unchanged(c, data, size, "pgm_drizzle_journal");
	free(c);
	if (!ok)
	{
		CHECK(error != NULL, "journal refused without a reason", 0, 0);
		CHECK(line >= 1 && line <= lines_of(data, size), "journal error line", line, 0);
	}
	else
	{
		CHECK(n < max, "more entries than objects", n, max);
		for (i = 0; i < n; i++)
		{
			size_t		k;

			CHECK(out[i].when >= 0 && out[i].idx >= 0, "negative when or idx", i, 0);
			CHECK(out[i].tag_len > 0 && out[i].tag_start <= size &&
				  out[i].tag_len <= size - out[i].tag_start, "tag past the end", i, 0);
			CHECK(data[out[i].tag_start] != '.', "tag starts with a dot", i, 0);
			for (k = 0; k < out[i].tag_len; k++)
				CHECK(data[out[i].tag_start + k] != '/' && data[out[i].tag_start + k] != '\\' &&
					  data[out[i].tag_start + k] != '"', "tag with / \\ or \"", i, k);
		}
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *c;
	int			r;
	int			bad;
	size_t		half = size / 2;

	g_data = data;
	g_size = size;

	check_name(pgm_sqlx_parse_name, data, size, "pgm_sqlx_parse_name");
	check_name(pgm_single_parse_name, data, size, "pgm_single_parse_name");
	check_name(pgm_flyway_parse_name, data, size, "pgm_flyway_parse_name");
	check_name(pgm_diesel_parse_dir, data, size, "pgm_diesel_parse_dir");
	check_name(pgm_prisma_parse_dir, data, size, "pgm_prisma_parse_dir");

	check_sections(pgm_dbmate_sections, data, size, "pgm_dbmate_sections");
	check_sections(pgm_goose_sections, data, size, "pgm_goose_sections");

	c = copy_of(data, size);
	r = pgm_sections_sniff(c, size);
	CHECK(r == 0 || r == 'd' || r == 'g', "sniff result", r, 0);
	r = pgm_sqlx_no_transaction(c, size);
	CHECK(r == 0 || r == 1, "sqlx marker result", r, 0);
	r = pgm_diesel_metadata(c, size, &bad);
	CHECK(r >= -1 && r <= lines_of(data, size), "metadata line", r, 0);
	CHECK(r != -1 || (bad >= 1 && bad <= lines_of(data, size)), "metadata bad line", bad, 0);
	unchanged(c, data, size, "sniff/sqlx/metadata");
	free(c);

	check_journal(data, size);

	/* atlas.sum: entries inside the input, names trimmed */
	{
		PgmAtlasSum sum;
		PgmAtlasEntry e[8];
		size_t		n;
		int			line;
		size_t		i;

		c = copy_of(data, size);
		r = pgm_atlas_sum_parse(c, size, &sum, e, 8, &n, &line);
		(void) pgm_atlas_sum_ignored(c, size);
		unchanged(c, data, size, "atlas");
		free(c);
		if (r)
		{
			CHECK(sum.sum_start <= size && sum.sum_len <= size - sum.sum_start, "atlas sum range", 0, 0);
			for (i = 0; i < n && i < 8; i++)
				CHECK(e[i].name_start <= size && e[i].name_len <= size - e[i].name_start &&
					  e[i].hash_start <= size && e[i].hash_len <= size - e[i].hash_start &&
					  e[i].name_start + e[i].name_len <= e[i].hash_start,
					  "atlas entry range", i, 0);
		}
		else
			CHECK(line >= 2 && line <= lines_of(data, size), "atlas error line", line, 0);
	}

	/* SHA-256: one piece or two, with a copy finalized between, agree */
	{
		PgmSha256	one,
					two;
		unsigned char d1[32],
					d2[32];

		c = copy_of(data, size);
		pgm_sha256_init(&one);
		pgm_sha256_update(&one, c, size);
		pgm_sha256_final(&one, d1);
		pgm_sha256_init(&two);
		pgm_sha256_update(&two, c, half);
		pgm_sha256_final(&two, d2);
		pgm_sha256_update(&two, c + half, size - half);
		pgm_sha256_final(&two, d2);
		free(c);
		CHECK(memcmp(d1, d2, 32) == 0, "sha256 in two pieces differs", half, size);
	}

	/* Flyway's order: a total preorder on the two halves of the input */
	{
		char	   *a = copy_of(data, half);
		char	   *b = copy_of(data + half, size - half);
		int			ab = pgm_flyway_version_cmp(a, half, b, size - half);
		int			ba = pgm_flyway_version_cmp(b, size - half, a, half);

		CHECK(ab == -ba, "flyway order is not antisymmetric", (size_t) (ab + 1), (size_t) (ba + 1));
		CHECK(pgm_flyway_version_cmp(a, half, a, half) == 0, "flyway order is not reflexive", 0, 0);
		/* the bigint key keeps that order wherever both have one */
		{
			int64_t		ka;
			int64_t		kb;

			if (pgm_flyway_version_key(a, half, &ka) == PGM_FLYWAY_KEY_OK &&
				pgm_flyway_version_key(b, size - half, &kb) == PGM_FLYWAY_KEY_OK)
			{
				CHECK((ab < 0) == (ka < kb) && (ab == 0) == (ka == kb),
					  "flyway key order differs from flyway order", half, size);
				CHECK(ka >= PGM_FLYWAY_KEY_BASE && ka <= PGM_FLYWAY_KEY_LAST,
					  "flyway key out of its range", half, size);
			}
			(void) pgm_flyway_is_dotted(a, half);
		}
		free(a);
		free(b);
	}
	return 0;
}
