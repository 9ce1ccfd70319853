/*-------------------------------------------------------------------------
 *
 * fuzz_names.c
 *	  libFuzzer harness for the plain-C parsers: migration file names
 *	  (src/format_golang.c), text positions and the cuts of big files into
 *	  pieces (src/textpos.c) and first-line markers (src/directives.c).
 *
 * Every input is fed, byte for byte, to pgm_parse_name and to the textpos
 * functions (and the line cursor) with several start/end/offset choices (some fixed, some taken
 * from the input's first bytes so the fuzzer steers them).  Each call gets
 * a heap copy that ends exactly where the function's contract says reading
 * must stop, so AddressSanitizer reports any over-read; for the [start, end)
 * functions the bytes before start are poisoned too.  Nothing is
 * NUL-terminated: none of these functions needs it.  Invariant violations
 * print what went wrong and abort(), which libFuzzer reports as a crash.
 *
 * Built and run by test/fuzz/run.sh (`make fuzz`).
 *
 * IDENTIFICATION
 *	  test/fuzz/fuzz_names.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directives.h"
#include "format_golang.h"
#include "textpos.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PGM_FUZZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(PGM_FUZZ_ASAN)
#define PGM_FUZZ_ASAN 1
#endif

#ifdef PGM_FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)	__asan_poison_memory_region((p), (n))
#define UNPOISON(p, n)	__asan_unpoison_memory_region((p), (n))
#else
#define POISON(p, n)	((void) (p), (void) (n))
#define UNPOISON(p, n)	((void) (p), (void) (n))
#endif

/* ASan shadow granule: poisoning is exact only on 8-byte boundaries. */
#define GRANULE 8

static void
fail(const char *what, const uint8_t *data, size_t size, size_t a, size_t b, size_t got)
{
	size_t		i;

	fprintf(stderr, "fuzz_names: invariant violated: %s (a=%zu b=%zu got=%zu, %zu bytes:",
			what, a, b, got, size);
	for (i = 0; i < size && i < 256; i++)
		fprintf(stderr, " %02x", data[i]);
	fprintf(stderr, "%s)\n", size > 256 ? " ..." : "");
	abort();
}

#define CHECK(cond, what, a, b, got) \
	do { if (!(cond)) fail((what), data, size, (a), (b), (got)); } while (0)

static int
ends_with(const uint8_t *s, size_t len, const char *suffix)
{
	size_t		n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* the same, ignoring the letter case of s (suffix is lower case) */
static int
ends_with_ci(const uint8_t *s, size_t len, const char *suffix)
{
	size_t		n = strlen(suffix);
	size_t		i;

	if (len < n)
		return 0;
	for (i = 0; i < n; i++)
	{
		uint8_t		c = s[len - n + i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t) (c - 'A' + 'a');
		if (c != (uint8_t) suffix[i])
			return 0;
	}
	return 1;
}

static int
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int
is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * Does the decimal string s[0..n) (digits only) fit in int64?  Computed by
 * comparing strings, independently of names.c's arithmetic.
 */
static int
digits_fit_int64(const uint8_t *s, size_t n)
{
	static const char max[] = "9223372036854775807";
	size_t		maxlen = sizeof(max) - 1;

	while (n > 0 && *s == '0')
	{
		s++;
		n--;
	}
	if (n != maxlen)
		return n < maxlen;
	return memcmp(s, max, n) <= 0;
}

/* ---------------------------------------------------------------- names */

static void
check_name(const uint8_t *data, size_t size)
{
	char	   *buf = malloc(size ? size : 1);
	PgmName		n;
	int			is_sql,
				is_up,
				is_down,
				ci_up,
				ci_down;
	size_t		ndig = 0;

	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	/* only [buf, buf + size) is addressable: ASan catches an over-read */
	if (size == 0)
		POISON(buf, 1);
	n = pgm_parse_name(buf, size);
	if (size == 0)
		UNPOISON(buf, 1);
	/* the parser must not write to its input */
	CHECK(memcmp(buf, data, size) == 0, "pgm_parse_name changed its input", 0, 0, 0);
	free(buf);

	CHECK(n.kind == PGM_NAME_IGNORED || n.kind == PGM_NAME_UP ||
		  n.kind == PGM_NAME_DOWN || n.kind == PGM_NAME_INVALID ||
		  n.kind == PGM_NAME_NEGATIVE || n.kind == PGM_NAME_OVERFLOW ||
		  n.kind == PGM_NAME_CASE,
		  "kind is not a PgmNameKind", 0, 0, (size_t) n.kind);
	CHECK(pgm_name_problem(n.kind) != NULL, "pgm_name_problem returned NULL",
		  0, 0, (size_t) n.kind);

	/* a .sql name ends in ".sql" in any letter case */
	is_sql = ends_with_ci(data, size, ".sql");
	is_up = ends_with(data, size, ".up.sql");
	is_down = ends_with(data, size, ".down.sql");
	ci_up = ends_with_ci(data, size, ".up.sql");
	ci_down = ends_with_ci(data, size, ".down.sql");
	while (ndig < size && is_digit(data[ndig]))
		ndig++;

	/* not a .sql file, empty, or hidden: ignored, and only then */
	if (!is_sql || size == 0 || data[0] == '.')
		CHECK(n.kind == PGM_NAME_IGNORED, "non-.sql or hidden name not IGNORED",
			  0, 0, (size_t) n.kind);
	else
		CHECK(n.kind != PGM_NAME_IGNORED, "visible .sql name IGNORED", 0, 0, 0);

	/* a .sql file without a direction is invalid */
	if (is_sql && size > 0 && data[0] != '.' && !ci_up && !ci_down)
		CHECK(n.kind == PGM_NAME_INVALID, ".sql name without .up/.down not INVALID",
			  0, 0, (size_t) n.kind);
	/* a name not ending exactly in .up.sql/.down.sql is never a migration */
	if (!is_up && !is_down)
		CHECK(n.kind != PGM_NAME_UP && n.kind != PGM_NAME_DOWN,
			  "a name in another letter case taken as a migration", 0, 0, (size_t) n.kind);

	if (n.kind == PGM_NAME_UP || n.kind == PGM_NAME_DOWN)
	{
		size_t		suffix = n.kind == PGM_NAME_UP ? strlen(".up.sql") : strlen(".down.sql");
		int64_t		v = 0;
		size_t		i;

		CHECK(n.kind == PGM_NAME_UP ? is_up : is_down,
			  "UP/DOWN kind does not match the name's suffix", 0, 0, (size_t) n.kind);
		CHECK(n.desc_len > 0, "empty description", n.desc_start, n.desc_len, 0);
		CHECK(n.desc_start <= size && n.desc_len <= size - n.desc_start,
			  "description past the end", n.desc_start, n.desc_len, size);
		CHECK(n.desc_start >= 2, "description starts before version and '_'",
			  n.desc_start, n.desc_len, 0);
		CHECK(data[n.desc_start - 1] == '_', "byte before the description is not '_'",
			  n.desc_start, n.desc_len, data[n.desc_start - 1]);
		CHECK(n.desc_start + n.desc_len + suffix == size,
			  "description does not end at the .up/.down.sql suffix",
			  n.desc_start, n.desc_len, size);
		/* the version is exactly the leading digits, then '_' */
		CHECK(ndig > 0 && ndig == n.desc_start - 1,
			  "version is not the digits before the first '_'", ndig, n.desc_start, 0);
		CHECK(digits_fit_int64(data, ndig), "version over INT64_MAX accepted", ndig, 0, 0);
		for (i = 0; i < ndig; i++)
			v = v * 10 + (data[i] - '0');	/* fits: checked just above */
		CHECK(n.version >= 0, "negative version", 0, 0, (size_t) n.version);
		CHECK(n.version == v, "version is not the leading digits' value",
			  (size_t) v, 0, (size_t) n.version);
	}
	else
	{
		/* a rejected name reports no version and no description */
		CHECK(n.desc_start == 0 && n.desc_len == 0 && n.version == 0,
			  "non-UP/DOWN name carries a version or description",
			  n.desc_start, n.desc_len, (size_t) n.version);
	}

	/*
	 * The whole classification, from format_golang.h/.c's documentation:
	 * hidden or non-.sql files (".sql" in any letter case) are ignored; a
	 * .sql file must end in .up.sql/.down.sql (in any letter case);
	 * "-<digit>..." is a negative version; otherwise <digits>_<non-empty
	 * description> with the digits fitting in bigint, and then the suffix
	 * must be in lower case.
	 */
	{
		PgmNameKind want;

		if (size == 0 || data[0] == '.' || !is_sql)
			want = PGM_NAME_IGNORED;
		else if (!ci_up && !ci_down)
			want = PGM_NAME_INVALID;
		else if (data[0] == '-' && size > 1 && is_digit(data[1]))
			want = PGM_NAME_NEGATIVE;
		else
		{
			size_t		stem = size - (ci_up ? strlen(".up.sql") : strlen(".down.sql"));

			if (ndig == 0 || ndig + 1 >= stem || data[ndig] != '_')
				want = PGM_NAME_INVALID;
			else if (!digits_fit_int64(data, ndig))
				want = PGM_NAME_OVERFLOW;
			else if (!is_up && !is_down)
				want = PGM_NAME_CASE;
			else
				want = is_up ? PGM_NAME_UP : PGM_NAME_DOWN;
		}
		CHECK(n.kind == want, "kind differs from the documented classification",
			  (size_t) want, 0, (size_t) n.kind);
	}
}

/* ------------------------------------------------------------- textpos */

/*
 * A heap copy of data[0..end) laid out so that it ends exactly at the end of
 * its allocation (reads at or past end are over-reads) and so that
 * data[start] lands on an ASan granule boundary, with everything before it
 * poisoned (reads before start are under-reads).
 */
typedef struct Window
{
	char	   *raw;
	size_t		pad;			/* bytes poisoned in front of the copy */
	size_t		poisoned;		/* pad + start */
	char	   *s;				/* s[i] == data[i] for i < end */
} Window;

static Window
window_open(const uint8_t *data, size_t start, size_t end)
{
	Window		w;

	w.pad = (GRANULE - start % GRANULE) % GRANULE;
	w.raw = malloc(w.pad + end + (w.pad + end == 0));
	if (w.raw == NULL)
		abort();
	w.s = w.raw + w.pad;
	memcpy(w.s, data, end);
	w.poisoned = w.pad + start;
	if (w.pad + end == 0)
		w.poisoned = 1;			/* the one spare byte, for end == 0 */
	POISON(w.raw, w.poisoned);
	return w;
}

static void
window_close(Window *w)
{
	UNPOISON(w->raw, w->poisoned);
	free(w->raw);
}

/*
 * pgm_next_cut from a statement boundary at "from": stays in [from, size],
 * cuts just past a semicolon or at the end, and cutting the rest again from
 * there covers the text in pieces that only move forward.
 */
static void
check_cuts(const uint8_t *data, size_t size, size_t from, size_t min_len)
{
	Window		w;
	size_t		at = from;
	size_t		pieces = 0;

	if (from > size)
		abort();
	w = window_open(data, from, size);
	while (at < size)
	{
		size_t		cut = pgm_next_cut(w.s, size, at, min_len);

		CHECK(cut > at && cut <= size, "pgm_next_cut did not move forward", at, min_len, cut);
		CHECK(cut == size || data[cut - 1] == ';', "pgm_next_cut cut after a byte that is not ;",
			  at, min_len, cut);
		CHECK(cut == size || cut - at >= min_len, "pgm_next_cut cut a piece under min_len",
			  at, min_len, cut);
		at = cut;
		pieces++;
		CHECK(pieces <= size, "pgm_next_cut made more pieces than bytes", from, min_len, pieces);
	}
	window_close(&w);
}

/* pgm_skip_blank and pgm_trim_end over [start, end) */
static void
check_range(const uint8_t *data, size_t size, size_t start, size_t end)
{
	Window		w;
	size_t		sb,
				sb2,
				te,
				i;

	if (start > end)
	{
		size_t		t = start;

		start = end;
		end = t;
	}
	if (end > size)
		abort();

	w = window_open(data, start, end);
	sb = pgm_skip_blank(w.s, start, end);
	te = pgm_trim_end(w.s, start, end);
	/* (only from inside the window: before start is poisoned) */
	sb2 = sb >= start && sb <= end ? pgm_skip_blank(w.s, sb, end) : sb;
	window_close(&w);

	CHECK(sb >= start && sb <= end, "pgm_skip_blank result outside [start, end]",
		  start, end, sb);
	CHECK(te >= start && te <= end, "pgm_trim_end result outside [start, end]",
		  start, end, te);

	/* skip_blank stops on a token: not a blank, not a comment opener */
	if (sb < end)
	{
		CHECK(!is_space(data[sb]), "pgm_skip_blank stopped on white space", start, end, sb);
		CHECK(!(sb + 1 < end && data[sb] == '-' && data[sb + 1] == '-'),
			  "pgm_skip_blank stopped on a -- comment", start, end, sb);
		CHECK(!(sb + 1 < end && data[sb] == '/' && data[sb + 1] == '*'),
			  "pgm_skip_blank stopped on a /* comment", start, end, sb);
	}
	/* ... and only skips: skipping again from there moves nowhere */
	CHECK(sb2 == sb, "pgm_skip_blank is not idempotent", start, end, sb2);
	/* the first byte, if not blank and not a comment opener, is the token */
	if (start < end && !is_space(data[start]) && data[start] != '-' && data[start] != '/')
		CHECK(sb == start, "pgm_skip_blank skipped a token", start, end, sb);

	/* trim_end removes trailing white space, and only that */
	for (i = te; i < end; i++)
		CHECK(is_space(data[i]), "pgm_trim_end removed a non-blank byte", start, end, te);
	CHECK(te == start || !is_space(data[te - 1]),
		  "pgm_trim_end left trailing white space", start, end, te);
}

/* pgm_line_at and pgm_line_start at off (0 <= off <= size) */
static void
check_offset(const uint8_t *data, size_t size, size_t off)
{
	Window		w;
	int			line;
	size_t		ls,
				i;
	long long	want = 1;

	if (off > size)
		abort();
	/* both read only s[0..off): the copy ends there */
	w = window_open(data, 0, off);
	line = pgm_line_at(w.s, off);
	ls = pgm_line_start(w.s, off);
	window_close(&w);

	for (i = 0; i < off; i++)
		if (data[i] == '\n')
			want++;
	CHECK(line >= 1, "pgm_line_at below 1", off, 0, (size_t) line);
	CHECK(line == want, "pgm_line_at is not 1 + newlines before off", off,
		  (size_t) want, (size_t) line);

	CHECK(ls <= off, "pgm_line_start past off", off, 0, ls);
	CHECK(ls == 0 || data[ls - 1] == '\n', "pgm_line_start not after a newline", off, 0, ls);
	for (i = ls; i < off; i++)
		CHECK(data[i] != '\n', "pgm_line_start skipped a newline", off, 0, ls);
	/* the line start is on the same line as off */
	if (ls <= size)
	{
		w = window_open(data, 0, ls);
		CHECK(pgm_line_at(w.s, ls) == line, "pgm_line_start on another line", off, 0, ls);
		window_close(&w);
	}
}

/*
 * The line cursor moved from 0 to a, then to b (forward or back), agrees
 * with pgm_line_at and pgm_line_start at b, reading nothing at or past the
 * furthest offset it was moved to.
 */
static void
check_cursor(const uint8_t *data, size_t size, size_t a, size_t b)
{
	Window		w;
	PgmLineCursor c;
	size_t		far = a > b ? a : b;
	int			line;
	size_t		ls;

	if (far > size)
		abort();
	w = window_open(data, 0, far);
	pgm_line_cursor_init(&c);
	pgm_line_cursor_seek(&c, w.s, a);
	pgm_line_cursor_seek(&c, w.s, b);
	line = pgm_line_at(w.s, b);
	ls = pgm_line_start(w.s, b);
	window_close(&w);

	CHECK(c.off == b, "cursor not at the offset it was moved to", a, b, c.off);
	CHECK(c.line == line, "cursor line differs from pgm_line_at", a, b, (size_t) c.line);
	CHECK(c.line_start == ls, "cursor line start differs from pgm_line_start", a, b, c.line_start);
}

/* a value in [0, size] taken from the input, so the fuzzer can steer it */
static size_t
pick(const uint8_t *data, size_t size, size_t at)
{
	uint32_t	v = 0;
	size_t		i;

	for (i = 0; i < 4 && at + i < size; i++)
		v |= (uint32_t) data[at + i] << (8 * i);
	return v % (size + 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t		a = pick(data, size, 0);
	size_t		b = pick(data, size, 4);
	size_t		c = pick(data, size, 8);
	size_t		half = size / 2;
	Window		w;
	size_t		sb,
				te;

	check_name(data, size);

	check_range(data, size, 0, size);
	check_range(data, size, 0, 0);
	check_range(data, size, size, size);
	check_range(data, size, half, size);
	check_range(data, size, 0, half);
	check_range(data, size, a, b);
	check_range(data, size, b, c);
	check_range(data, size, a, size);

	check_offset(data, size, 0);
	check_offset(data, size, size);
	check_offset(data, size, half);
	check_offset(data, size, a);
	check_offset(data, size, b);

	check_cursor(data, size, a, b);
	check_cursor(data, size, b, a);
	check_cursor(data, size, half, size);
	check_cursor(data, size, size, c);

	check_cuts(data, size, 0, 0);
	check_cuts(data, size, 0, c);
	check_cuts(data, size, a, 1);

	/* the way script.c uses them: statement start, its end, and its line */
	w = window_open(data, 0, size);
	sb = pgm_skip_blank(w.s, 0, size);
	te = pgm_trim_end(w.s, sb, size);
	window_close(&w);
	CHECK(sb <= te && te <= size, "statement start after its trimmed end", sb, te, size);
	check_offset(data, size, sb);
	check_offset(data, size, te);

	/* in-file markers: an exact-size copy, and a line number within it */
	{
		char	   *copy = malloc(size ? size : 1);
		int			line;
		int			lines = 1;
		size_t		i;

		if (copy == NULL)
			abort();
		memcpy(copy, data, size);
		line = pgm_directive_no_transaction(copy, size);
		for (i = 0; i < size; i++)
			if (copy[i] == '\n')
				lines++;
		CHECK(line >= 0 && line <= lines, "directive line outside the file", (size_t) line, (size_t) lines, size);
		free(copy);
	}
	return 0;
}
