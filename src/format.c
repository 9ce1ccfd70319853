/*-------------------------------------------------------------------------
 *
 * format.c
 *	  The migration tools pg_migrate reads folders of (PgmFormat), the
 *	  pg_migrate.format setting, and turning a folder's entries into its
 *	  migrations: classify each name with the folder's format, sort, refuse
 *	  duplicate versions, pair up and down.
 *
 * Memory: everything is allocated in the caller's current memory context.
 *
 * IDENTIFICATION
 *	  src/format.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "flyway_version.h"
#include "format.h"
#include "miscadmin.h"
#include "utils/guc.h"

pgm_format_choice_hook_type pgm_format_choice_hook = NULL;

/* pg_migrate.format: "" detects */
static char *pgm_format_name = NULL;

static const char *
sqlx_problem(PgmNameKind kind)
{
	switch (kind)
	{
		case PGM_NAME_INVALID:
			return "sqlx migration files are named <version>_<description>.sql, or <version>_<description>.up.sql and .down.sql, where <version> is a non-negative integer.";
		case PGM_NAME_CASE:
			return "Migration file names end in .sql, .up.sql or .down.sql, in lower case.";
		default:
			return pgm_name_problem(kind);
	}
}

static const char *
single_problem(PgmNameKind kind)
{
	switch (kind)
	{
		case PGM_NAME_INVALID:
			return "Migration files of this format are named <version>_<name>.sql, where <version> is a non-negative integer.";
		case PGM_NAME_CASE:
			return "Migration file names end in .sql, in lower case.";
		default:
			return pgm_name_problem(kind);
	}
}

static const char *
flyway_problem(PgmNameKind kind)
{
	switch (kind)
	{
		case PGM_NAME_INVALID:
			return "Flyway migration files are named V<version>__<description>.sql, U<version>__<description>.sql (undo) or R__<description>.sql (repeatable).";
		case PGM_NAME_NOSEP:
			return "Flyway separates the version from the description with two underscores: V<version>__<description>.sql.";
		case PGM_NAME_BADVERSION:
			return "A Flyway version is digits separated by dots or underscores (V1__, V1.2__, V1_2__), and a repeatable migration has none (R__).";
		case PGM_NAME_CASE:
			return "Migration file names end in .sql, in lower case.";
		default:
			return pgm_name_problem(kind);
	}
}

static const char *
diesel_problem(PgmNameKind kind)
{
	switch (kind)
	{
		case PGM_NAME_INVALID:
			return "diesel migration folders are named <version>_<name>, where <version> is digits and dashes (2019-02-26-002946).";
		default:
			return pgm_name_problem(kind);
	}
}

static const char *
prisma_problem(PgmNameKind kind)
{
	switch (kind)
	{
		case PGM_NAME_INVALID:
			return "Prisma migration folders are named <timestamp>_<name>, where <timestamp> is digits (20240101120000).";
		default:
			return pgm_name_problem(kind);
	}
}

static const PgmFormat golang_format = {
	.name = "golang-migrate",
	.layout = PGM_LAYOUT_FILES,
	.classify = pgm_parse_name,
	.name_problem = pgm_name_problem,
	.own_directives = true,
};

static const PgmFormat sqlx_format = {
	.name = "sqlx",
	.layout = PGM_LAYOUT_FILES,
	.classify = pgm_sqlx_parse_name,
	.name_problem = sqlx_problem,
	.no_transaction = pgm_sqlx_no_transaction,
};

static const PgmFormat dbmate_format = {
	.name = "dbmate",
	.layout = PGM_LAYOUT_FILES,
	.classify = pgm_single_parse_name,
	.name_problem = single_problem,
	.sections = pgm_dbmate_sections,
};

static const PgmFormat goose_format = {
	.name = "goose",
	.layout = PGM_LAYOUT_FILES,
	.classify = pgm_single_parse_name,
	.name_problem = single_problem,
	.sections = pgm_goose_sections,
};

static const PgmFormat flyway_format = {
	.name = "flyway",
	.layout = PGM_LAYOUT_FILES,
	.classify = pgm_flyway_parse_name,
	.name_problem = flyway_problem,
};

static const PgmFormat diesel_format = {
	.name = "diesel",
	.layout = PGM_LAYOUT_DIRS,
	.classify = pgm_diesel_parse_dir,
	.name_problem = diesel_problem,
	.up_file = "up.sql",
	.down_file = "down.sql",
	.metadata_file = "metadata.toml",
};

static const PgmFormat prisma_format = {
	.name = "prisma",
	.layout = PGM_LAYOUT_DIRS,
	.classify = pgm_prisma_parse_dir,
	.name_problem = prisma_problem,
	.up_file = "migration.sql",
};

static const PgmFormat drizzle_format = {
	.name = "drizzle",
	.layout = PGM_LAYOUT_JOURNAL,
	.classify = pgm_single_parse_name,
	.name_problem = single_problem,
};

const PgmFormat *const pgm_formats[] = {
	&golang_format, &sqlx_format, &dbmate_format, &goose_format, &flyway_format,
	&diesel_format, &prisma_format, &drizzle_format,
};
const int	pgm_nformats = lengthof(pgm_formats);

const PgmFormat *
pgm_format_golang(void)
{
	return &golang_format;
}

const PgmFormat *
pgm_format_by_name(const char *name)
{
	static const char *const golang_aliases[] = {"golang", "encore", "atlas", "ent"};
	int			i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < pgm_nformats; i++)
		if (pg_strcasecmp(name, pgm_formats[i]->name) == 0)
			return pgm_formats[i];
	for (i = 0; i < lengthof(golang_aliases); i++)
		if (pg_strcasecmp(name, golang_aliases[i]) == 0)
			return &golang_format;
	return NULL;
}

const PgmFormat *
pgm_format_from_arg(const char *name)
{
	const PgmFormat *format;

	if (name == NULL || name[0] == '\0')
		return NULL;
	format = pgm_format_by_name(name);
	if (format == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown migration format \"%s\"", name),
				 errdetail("Formats are %s.", pgm_format_names()),
				 errhint("Leave the format out to detect it from the folder's files.")));
	return format;
}

const char *
pgm_format_names(void)
{
	return "golang-migrate (or golang, encore, atlas, ent), sqlx, dbmate, goose, flyway, diesel, prisma, drizzle";
}

static bool
check_format(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0' || pgm_format_by_name(*newval) != NULL)
		return true;
	GUC_check_errdetail("Formats are %s; an empty string detects the folder's format.",
						pgm_format_names());
	return false;
}

void
pgm_format_init(void)
{
	DefineCustomStringVariable("pg_migrate.format",
							   "Sets the migration tool whose folder format pg_migrate reads.",
							   "Empty: detected from each folder's files. The files must fit the format set.",
							   &pgm_format_name,
							   "",
							   PGC_USERSET,
							   0,
							   check_format, NULL, NULL);
}

/*
 * A format argument of the SQL function being called (migrate_apply(...,
 * format => 'goose')); cleared when the transaction ends, and set (or
 * cleared) by every folder function as it starts.
 */
static const PgmFormat *format_argument = NULL;
static bool format_callback_registered = false;

static void
format_xact_callback(XactEvent event, void *arg)
{
	format_argument = NULL;
}

void
pgm_format_argument(const char *name)
{
	const PgmFormat *format = name != NULL ? pgm_format_from_arg(name) : NULL;

	if (!format_callback_registered)
	{
		RegisterXactCallback(format_xact_callback, NULL);
		format_callback_registered = true;
	}
	format_argument = format;
}

const PgmFormat *
pgm_format_setting(void)
{
	if (format_argument != NULL)
		return format_argument;
	if (pgm_format_name == NULL || pgm_format_name[0] == '\0')
		return NULL;
	return pgm_format_by_name(pgm_format_name);
}

/* ------------------------------------------------------------ Flyway keys */

bool
pgm_format_is_flyway(const PgmFormat *format)
{
	return format != NULL && strcmp(format->name, "flyway") == 0;
}

bool
pgm_flyway_file_dotted(const PgmFile *f)
{
	return pgm_flyway_is_dotted(f->version_text, strlen(f->version_text));
}

/* Keys files[0, *n) by the encoding; refused ones are dropped. */
static void
key_files(PgmListing *l, PgmFile *files, int *n)
{
	int			kept = 0;
	int			i;

	for (i = 0; i < *n; i++)
	{
		PgmFile    *f = &files[i];
		int64_t		key;
		PgmFlywayKey rc;

		CHECK_FOR_INTERRUPTS();
		rc = pgm_flyway_version_key(f->version_text, strlen(f->version_text), &key);
		if (rc != PGM_FLYWAY_KEY_OK)
		{
			pgm_listing_refuse(l, f->filename, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
							   psprintf("Flyway version \"%s\" of file \"%s\" is out of range for pg_migrate's version key",
										f->version_text, f->filename),
							   pgm_flyway_key_limits(),
							   "Give the file a version with fewer or smaller parts, before any of it is applied.");
			continue;
		}
		f->version = key;
		files[kept++] = *f;
	}
	*n = kept;
}

/*
 * In a Flyway listing with a dotted version, keys every migration (ups and
 * undos) by the encoding; a version it cannot hold is refused naming the
 * file and the limits (reported and left out in collect mode).  Called by
 * pgm_listing_finish before sorting; does nothing for other formats.
 */
static void
flyway_key_listing(PgmListing *l)
{
	bool		dotted = false;
	int			i;

	if (!pgm_format_is_flyway(l->format))
		return;
	for (i = 0; i < l->nup && !dotted; i++)
		dotted = pgm_flyway_file_dotted(&l->ups[i]);
	for (i = 0; i < l->ndown && !dotted; i++)
		dotted = pgm_flyway_file_dotted(&l->downs[i]);
	if (!dotted)
		return;
	key_files(l, l->ups, &l->nup);
	key_files(l, l->downs, &l->ndown);
}

/* A version for messages: the text as written when the key is encoded. */
static const char *
version_display(const PgmFile *file)
{
	int64_t		key;

	if (file->version >= PGM_FLYWAY_KEY_BASE && file->version <= PGM_FLYWAY_KEY_LAST &&
		pgm_flyway_version_key(file->version_text, strlen(file->version_text), &key) == PGM_FLYWAY_KEY_OK &&
		key == file->version)
	{
		char	   *text = pstrdup(file->version_text);
		char	   *p;

		for (p = text; *p; p++)
			if (*p == '_')
				*p = '.';
		return text;
	}
	return psprintf(INT64_FORMAT, file->version);
}

/* ------------------------------------------------------------ listing */

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
pgm_listing_refuse(PgmListing *l, const char *entry, int sqlstate,
				   const char *message, const char *detail, const char *hint)
{
	if (l->problems == NULL)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg_internal("%s", message),
				 detail ? errdetail_internal("%s", detail) : 0,
				 hint ? errhint("%s", hint) : 0));
	pgm_problem_add(l->problems, entry, false, 0, PGM_SEVERITY_ERROR,
					detail ? psprintf("%s: %s", message, detail) : pstrdup(message));
}

/* A repeatable migration (Flyway's R__<description>.sql). */
static PgmFile *
add_repeatable(PgmListing *l, const char *entry, PgmName pn)
{
	PgmFile    *f;

	if (l->nrep == l->repcap)
	{
		l->repcap = Max(l->repcap * 2, 16);
		l->reps = l->reps ? repalloc(l->reps, sizeof(PgmFile) * l->repcap) :
			palloc(sizeof(PgmFile) * l->repcap);
	}
	f = &l->reps[l->nrep++];
	memset(f, 0, sizeof(PgmFile));
	f->version = PGM_VERSION_REPEATABLE;
	f->repeatable = true;
	f->version_text = pstrdup("");
	f->filename = pstrdup(entry);
	f->name = pnstrdup(entry + pn.desc_start, pn.desc_len);
	f->up.filename = f->filename;
	f->up.notx_line = l->format->own_directives ? -1 : 0;
	return f;
}

PgmFile *
pgm_listing_add(PgmListing *l, const char *entry)
{
	size_t		len = strlen(entry);
	PgmName		pn = l->format->classify(entry, len);
	const char *what = l->format->layout == PGM_LAYOUT_DIRS ? "folder" : "file";
	PgmFile    *f;

	switch (pn.kind)
	{
		case PGM_NAME_IGNORED:
			return NULL;
		case PGM_NAME_REPEATABLE:
			return add_repeatable(l, entry, pn);
		case PGM_NAME_UP:
		case PGM_NAME_DOWN:
			break;
		default:
			if (l->problems == NULL)
				ereport(ERROR,
						(errcode(pn.kind == PGM_NAME_OVERFLOW || pn.kind == PGM_NAME_NEGATIVE ?
								 ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE : ERRCODE_INVALID_NAME),
						 errmsg("invalid migration %s name \"%s\"", what, entry),
						 errdetail("Migration %s \"%s\": %s", what, entry,
								   l->format->name_problem(pn.kind)),
						 errhint("Rename the %s, or move it out of folder \"%s\".", what, l->path)));
			pgm_problem_add(l->problems, entry, false, 0, PGM_SEVERITY_ERROR,
							psprintf("invalid migration %s name: %s", what,
									 l->format->name_problem(pn.kind)));
			return NULL;
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
	f->version_text = pnstrdup(entry + pn.ver_start, pn.ver_len);
	f->filename = pstrdup(entry);
	f->name = pnstrdup(entry + pn.desc_start, pn.desc_len);
	f->up.filename = f->filename;
	f->up.notx_line = l->format->own_directives ? -1 : 0;
	f->down.notx_line = f->up.notx_line;
	if (l->format->sections != NULL)
	{
		/* both directions are sections of the one file */
		f->up.section = PGM_SECTION_UP;
		f->down.filename = f->filename;
		f->down.section = PGM_SECTION_DOWN;
	}
	return f;
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
					 errmsg("duplicate migration version %s in folder \"%s\"",
							version_display(&files[i]), path),
					 errdetail("Files \"%s\" and \"%s\" both have version %s.",
							   files[kept - 1].filename, files[i].filename,
							   version_display(&files[i])),
					 down ? errhint("Give each down migration its own version number.") :
					 errhint("Give each up migration its own version number.")));
		pgm_problem_add(problems, files[i].filename, true, files[i].version, PGM_SEVERITY_ERROR,
						psprintf("duplicate migration version %s: also used by \"%s\"",
								 version_display(&files[i]), files[kept - 1].filename));
	}
	return kept;
}

PgmFile *
pgm_listing_finish(PgmListing *l, int *n)
{
	int			i;
	int			j;

	flyway_key_listing(l);	/* dotted Flyway versions */
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
		{
			l->ups[i].down = l->downs[j].up;
			i++;
			j++;
		}
	}
	*n = l->nup;
	return l->ups;
}

/*
 * Flyway's order of repeatable migrations: by description, which is the
 * name with "_" read as " " (so R__a_b.sql and R__a b.sql are one).
 * Java compares UTF-16 units; bytes of UTF-8 compare alike except beyond
 * U+FFFF against U+E000-U+FFFF.
 */
int
pgm_description_cmp(const char *a, const char *b)
{
	for (;; a++, b++)
	{
		unsigned char ca = *a == '_' ? ' ' : (unsigned char) *a;
		unsigned char cb = *b == '_' ? ' ' : (unsigned char) *b;

		if (ca != cb)
			return ca < cb ? -1 : 1;
		if (ca == '\0')
			return 0;
	}
}

static int
compare_repeatables(const void *a, const void *b)
{
	const PgmFile *fa = (const PgmFile *) a;
	const PgmFile *fb = (const PgmFile *) b;
	int			c = pgm_description_cmp(fa->name, fb->name);

	return c != 0 ? c : strcmp(fa->filename, fb->filename);
}

PgmFile *
pgm_listing_repeatables(PgmListing *l, int *n)
{
	int			kept = l->nrep > 0 ? 1 : 0;
	int			i;

	if (l->nrep > 1)
		qsort(l->reps, l->nrep, sizeof(PgmFile), compare_repeatables);
	for (i = 1; i < l->nrep; i++)
	{
		PgmFile    *prev = &l->reps[kept - 1];
		PgmFile    *f = &l->reps[i];

		CHECK_FOR_INTERRUPTS();
		if (pgm_description_cmp(prev->name, f->name) != 0)
		{
			l->reps[kept++] = *f;
			continue;
		}
		/* Flyway: "Found more than one repeatable migration with description" */
		pgm_listing_refuse(l, f->filename, ERRCODE_DUPLICATE_OBJECT,
						   psprintf("duplicate repeatable migration \"%s\"", f->name),
						   psprintf("Files \"%s\" and \"%s\" both have this description (Flyway reads \"_\" as a space).",
									prev->filename, f->filename),
						   psprintf("Give each repeatable migration of folder \"%s\" its own description.",
									l->path));
	}
	*n = kept;
	return l->reps;
}
