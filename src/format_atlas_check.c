/*-------------------------------------------------------------------------
 *
 * format_atlas_check.c
 *	  Verify a folder's atlas.sum as Atlas does before it runs anything.
 *
 * ent and Atlas keep atlas.sum beside the migration files: a first line
 * with the sum of the file, then "<name> h1:<hash>" for every .sql file of
 * the folder (up and down files alike), in name order.  Each hash is
 * base64 SHA-256 of everything hashed so far: every earlier file's name and
 * bytes, then this file's name and bytes (a file whose first line carries
 * "atlas:sum ignore" adds its name only, and has no line); the first line
 * is base64 SHA-256 of the names and hashes of all lines
 * (sql/migrate/dir.go: NewHashFile, HashFile.Sum, Validate).  A folder
 * whose files no longer give its atlas.sum is refused before anything
 * runs: an edited, added or removed file is what atlas.sum is there to
 * catch.  Because each hash covers the files before it, only the first
 * edited file can be named; added and missing files are named all.
 *
 * Cost: with atlas.sum, every .sql file is read once more when the folder
 * is listed (through a small buffer); without it, nothing.
 *
 * IDENTIFICATION
 *	  src/format_atlas_check.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <unistd.h>

#include "common/base64.h"
#include "errctx.h"
#include "folder_open.h"
#include "format.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/fd.h"

#define ATLAS_SUM "atlas.sum"
#define ATLAS_SUM_MAX (16 * 1024 * 1024)
#define CHUNK (64 * 1024)

/* one line of atlas.sum, or one computed */
typedef struct SumLine
{
	char	   *name;
	char	   *hash;
} SumLine;

static char *
b64(const unsigned char digest[32])
{
	int			len = pg_b64_enc_len(32);
	char	   *out = palloc(len + 1);
	int			n = pg_b64_encode((const char *) digest, 32, out, len);

	if (n < 0)
		elog(ERROR, "could not encode a SHA-256 digest in base64");
	out[n] = '\0';
	return out;
}

/* HashFile.Sum: SHA-256 of every line's name and hash, base64 */
static char *
sum_of(SumLine *lines, int n)
{
	PgmSha256	c;
	unsigned char d[32];
	int			i;

	pgm_sha256_init(&c);
	for (i = 0; i < n; i++)
	{
		pgm_sha256_update(&c, lines[i].name, strlen(lines[i].name));
		pgm_sha256_update(&c, lines[i].hash, strlen(lines[i].hash));
	}
	pgm_sha256_final(&c, d);
	return b64(d);
}

/* Adds the bytes of folder/name to c, unless it opts out; returns false then. */
static bool
hash_file(const char *path, List *allowed, const char *name, PgmSha256 *c)
{
	int			fd = pgm_folder_open_file(path, allowed, name);
	char	   *buf = palloc(CHUNK);
	bool		first = true;
	bool		ignored = false;

	for (;;)
	{
		ssize_t		n;

		CHECK_FOR_INTERRUPTS();
		n = read(fd, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read migration file \"%s\": %m", name),
					 errdetail("The file is in folder \"%s\".", path)));
		if (n == 0)
			break;
		if (first && pgm_atlas_sum_ignored(buf, (size_t) n))
		{
			ignored = true;
			break;
		}
		first = false;
		pgm_sha256_update(c, buf, (size_t) n);
	}
	CloseTransientFile(fd);
	pfree(buf);
	return !ignored;
}

/* "a", "b" */
static void
append_name(StringInfo buf, const char *name)
{
	appendStringInfo(buf, "%s\"%s\"", buf->len > 0 ? ", " : "", name);
}

void
pgm_atlas_check(const char *path, List *allowed, PgmEntry *entries, int n, List **problems)
{
	char	   *body;
	size_t		len;
	PgmAtlasSum sum;
	PgmAtlasEntry *parsed;
	size_t		max = 1;
	size_t		nparsed;
	int			error_line;
	SumLine    *recorded;
	SumLine    *computed;
	int			ncomputed = 0;
	PgmSha256	c;
	char	   *recorded_sum;
	size_t		i;
	int			k;
	bool		found = false;

	for (k = 0; k < n; k++)
		if (entries[k].is_file && strcmp(entries[k].name, ATLAS_SUM) == 0)
			found = true;
	if (!found)
		return;

	body = pgm_folder_read_small(path, allowed, ATLAS_SUM, ATLAS_SUM_MAX, &len);
	for (i = 0; i < len; i++)
		if (body[i] == '\n')
			max++;
	parsed = palloc(sizeof(PgmAtlasEntry) * max);
	if (!pgm_atlas_sum_parse(body, len, &sum, parsed, max, &nparsed, &error_line))
	{
		PgmFileContext ctx;

		pgm_errctx_push(&ctx, ATLAS_SUM);
		pgm_errctx_at(&ctx, error_line, 0, NULL);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid atlas.sum in migration folder \"%s\"", path),
				 errdetail("Each line after the first is \"<file> h1:<hash>\"."),
				 errhint("Write it again with \"atlas migrate hash\".")));
	}
	recorded = palloc(sizeof(SumLine) * Max(nparsed, 1));
	for (i = 0; i < nparsed; i++)
	{
		recorded[i].name = pnstrdup(body + parsed[i].name_start, parsed[i].name_len);
		recorded[i].hash = pnstrdup(body + parsed[i].hash_start, parsed[i].hash_len);
	}
	recorded_sum = pnstrdup(body + sum.sum_start, sum.sum_len);

	/* atlas.sum must agree with itself (Atlas: ErrChecksumMismatch) */
	if (strcmp(sum_of(recorded, (int) nparsed), recorded_sum) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("atlas.sum in migration folder \"%s\" does not match its own lines", path),
				 errdetail("Its first line is not the sum of the file hashes below it: it was edited by hand, or merged."),
				 errhint("Check the migration files, then write atlas.sum again with \"atlas migrate hash\".")));

	/* the folder's .sql files in name order (entries are sorted by name) */
	computed = palloc(sizeof(SumLine) * Max(n, 1));
	pgm_sha256_init(&c);
	for (k = 0; k < n; k++)
	{
		unsigned char d[32];

		if (!entries[k].is_file || !pgm_ends_with(entries[k].name, strlen(entries[k].name), ".sql", 0))
			continue;
		pgm_sha256_update(&c, entries[k].name, strlen(entries[k].name));
		if (!hash_file(path, allowed, entries[k].name, &c))
			continue;
		pgm_sha256_final(&c, d);
		computed[ncomputed].name = entries[k].name;
		computed[ncomputed].hash = b64(d);
		ncomputed++;
	}
	if (strcmp(sum_of(computed, ncomputed), recorded_sum) == 0)
		return;

	/* name what differs: added, missing, and the first edited file */
	{
		StringInfoData added,
					missing,
					changed;
		int			a = 0;
		int			b = 0;
		bool		diverged = false;

		initStringInfo(&added);
		initStringInfo(&missing);
		initStringInfo(&changed);
		while (a < ncomputed || b < (int) nparsed)
		{
			int			cmp;

			CHECK_FOR_INTERRUPTS();
			if (a >= ncomputed)
				cmp = 1;
			else if (b >= (int) nparsed)
				cmp = -1;
			else
				cmp = strcmp(computed[a].name, recorded[b].name);
			if (cmp < 0)
			{
				append_name(&added, computed[a++].name);
				diverged = true;
			}
			else if (cmp > 0)
			{
				append_name(&missing, recorded[b++].name);
				diverged = true;
			}
			else
			{
				if (!diverged && strcmp(computed[a].hash, recorded[b].hash) != 0)
				{
					append_name(&changed, computed[a].name);
					diverged = true;
				}
				a++;
				b++;
			}
		}
		if (problems != NULL)
		{
			pgm_problem_add(problems, ATLAS_SUM, false, 0, PGM_SEVERITY_ERROR,
							psprintf("migration files do not match atlas.sum:%s%s%s%s%s%s",
									 changed.len ? " changed " : "", changed.data,
									 added.len ? " not in atlas.sum " : "", added.data,
									 missing.len ? " missing " : "", missing.data));
			return;
		}
		{
			StringInfoData detail;

			initStringInfo(&detail);
			if (changed.len)
				appendStringInfo(&detail, "Changed since atlas.sum was written: %s.", changed.data);
			if (added.len)
				appendStringInfo(&detail, "%sNot in atlas.sum: %s.", detail.len ? " " : "", added.data);
			if (missing.len)
				appendStringInfo(&detail, "%sIn atlas.sum but missing: %s.", detail.len ? " " : "", missing.data);
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("migration files of folder \"%s\" do not match its atlas.sum", path),
					 errdetail_internal("%s", detail.data),
					 errhint("Restore the files atlas.sum records; if the change is intended, run \"atlas migrate hash\" and review the result.")));
		}
	}
}
