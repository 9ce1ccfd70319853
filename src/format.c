/*-------------------------------------------------------------------------
 *
 * format.c
 *	  Turn a folder's entries into its migrations: classify each name with
 *	  the folder's format, sort, refuse duplicate versions, pair up and
 *	  down.
 *
 * Memory: everything is allocated in the caller's current memory context.
 *
 * IDENTIFICATION
 *	  src/format.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "format.h"
#include "miscadmin.h"

static const PgmFormat golang_format = {
	.name = "golang-migrate",
	.classify = pgm_parse_name,
	.name_problem = pgm_name_problem,
};

const PgmFormat *
pgm_format(void)
{
	return &golang_format;
}

static int
compare_files(const void *a, const void *b)
{
	const PgmFile *fa = (const PgmFile *) a;
	const PgmFile *fb = (const PgmFile *) b;

	if (fa->version != fb->version)
		return fa->version < fb->version ? -1 : 1;
	return strcmp(fa->filename, fb->filename);
}

void
pgm_listing_init(PgmListing *l, const PgmFormat *format, const char *path, List **problems)
{
	memset(l, 0, sizeof(PgmListing));
	l->format = format;
	l->path = path;
	l->problems = problems;
	l->cap = 64;
	l->ups = palloc(sizeof(PgmFile) * l->cap);
	l->downs = palloc(sizeof(PgmFile) * l->cap);
}

void
pgm_listing_add(PgmListing *l, const char *entry)
{
	size_t		len = strlen(entry);
	PgmName		pn = l->format->classify(entry, len);
	PgmFile    *f;

	switch (pn.kind)
	{
		case PGM_NAME_IGNORED:
			return;
		case PGM_NAME_INVALID:
		case PGM_NAME_CASE:
		case PGM_NAME_NEGATIVE:
		case PGM_NAME_OVERFLOW:
			if (l->problems == NULL)
				ereport(ERROR,
						(errcode(pn.kind == PGM_NAME_INVALID || pn.kind == PGM_NAME_CASE ?
								 ERRCODE_INVALID_NAME : ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("invalid migration file name \"%s\"", entry),
						 errdetail("Migration file \"%s\": %s", entry,
								   l->format->name_problem(pn.kind)),
						 errhint("Rename the file, or move it out of folder \"%s\".", l->path)));
			pgm_problem_add(l->problems, entry, false, 0, PGM_SEVERITY_ERROR,
							psprintf("invalid migration file name: %s",
									 l->format->name_problem(pn.kind)));
			return;
		case PGM_NAME_UP:
		case PGM_NAME_DOWN:
			break;
	}

	if (l->nup == l->cap || l->ndown == l->cap)
	{
		l->cap *= 2;
		l->ups = repalloc(l->ups, sizeof(PgmFile) * l->cap);
		l->downs = repalloc(l->downs, sizeof(PgmFile) * l->cap);
	}
	f = (pn.kind == PGM_NAME_UP) ? &l->ups[l->nup++] : &l->downs[l->ndown++];
	memset(f, 0, sizeof(PgmFile));
	f->version = pn.version;
	f->version_text = pnstrdup(entry, strspn(entry, "0123456789"));
	f->filename = pstrdup(entry);
	f->name = pnstrdup(entry + pn.desc_start, pn.desc_len);
	f->up.filename = f->filename;
}

/*
 * Rejects two files with one version.  In collect mode the later file is
 * reported and dropped so that checking can go on; returns the new count.
 */
static int
check_duplicates(PgmFile *files, int n, bool down, const char *path, List **problems)
{
	int			i;
	int			kept = n > 0 ? 1 : 0;

	for (i = 1; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (files[i].version != files[kept - 1].version)
		{
			files[kept++] = files[i];
			continue;
		}
		if (problems == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("duplicate migration version " INT64_FORMAT " in folder \"%s\"",
							files[i].version, path),
					 errdetail("Files \"%s\" and \"%s\" both have version " INT64_FORMAT ".",
							   files[kept - 1].filename, files[i].filename, files[i].version),
					 down ? errhint("Give each down migration its own version number.") :
					 errhint("Give each up migration its own version number.")));
		pgm_problem_add(problems, files[i].filename, true, files[i].version, PGM_SEVERITY_ERROR,
						psprintf("duplicate migration version " INT64_FORMAT ": also used by \"%s\"",
								 files[i].version, files[kept - 1].filename));
	}
	return kept;
}

PgmFile *
pgm_listing_finish(PgmListing *l, int *n)
{
	int			i;
	int			j;

	qsort(l->ups, l->nup, sizeof(PgmFile), compare_files);
	qsort(l->downs, l->ndown, sizeof(PgmFile), compare_files);
	l->nup = check_duplicates(l->ups, l->nup, false, l->path, l->problems);
	l->ndown = check_duplicates(l->downs, l->ndown, true, l->path, l->problems);

	/* both lists are sorted: attach each down source to its up migration */
	for (i = 0, j = 0; i < l->nup && j < l->ndown;)
	{
		CHECK_FOR_INTERRUPTS();
		if (l->ups[i].version < l->downs[j].version)
			i++;
		else if (l->ups[i].version > l->downs[j].version)
			j++;
		else
			l->ups[i++].down.filename = l->downs[j++].filename;
	}
	*n = l->nup;
	return l->ups;
}
