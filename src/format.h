/*-------------------------------------------------------------------------
 *
 * format.h
 *	  A migration tool's folder format: which entries of a folder are
 *	  migrations, what their names say, where in a file each direction is,
 *	  and which folder is which tool's.
 *
 * A migration is a version, a description, and an up source and a down
 * source (PgmSource: a file of the folder, a file of a migration's own
 * folder, or a section of one file that holds both directions).  Each tool
 * is a PgmFormat (format.c); the plain-C readers of names, sections and
 * markers are in format_golang.c and format_text.h's files.
 *
 * A folder's format is detected from its entries (format_detect.c), or
 * forced (the format argument of the folder functions, the
 * pg_migrate.format setting); a folder that mixes formats, or files that
 * do not fit a forced format, are refused with the files named.  Where the
 * files fit several formats (sqlx's reversible files are golang-migrate's),
 * pgm_format_choice_hook decides (the tracking table found in the
 * database), else the first of them in pgm_formats order.
 *
 * The listing (format.c) sorts the migrations, refuses two with one
 * version and attaches each down source to its up.
 *
 * IDENTIFICATION
 *	  src/format.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_FORMAT_H
#define PGM_FORMAT_H

#include "folder.h"
#include "format_golang.h"
#include "format_text.h"

typedef enum PgmLayout
{
	PGM_LAYOUT_FILES,			/* one file (or an up and a down file) per
								 * migration */
	PGM_LAYOUT_DIRS,			/* one folder per migration */
	PGM_LAYOUT_JOURNAL			/* files named by a journal (Drizzle) */
} PgmLayout;

typedef struct PgmFormat
{
	const char *name;			/* as the format argument takes it, and for
								 * messages */
	PgmLayout	layout;

	/*
	 * Classifies one file name (FILES, JOURNAL) or migration folder name
	 * (DIRS); never fails (format_golang.h's contract).
	 */
	PgmName		(*classify) (const char *entry, size_t len);

	/* One sentence on why a name of this kind is refused. */
	const char *(*name_problem) (PgmNameKind kind);

	/* Up and down sections of one file (dbmate, goose); NULL: whole files. */
	int			(*sections) (const char *body, size_t len, PgmSections *s);

	/* The tool's own no-transaction marker in a file; NULL: none. */
	int			(*no_transaction) (const char *body, size_t len);

	/* pg_migrate's own first-line markers (directives.c) apply */
	bool		own_directives;

	/* DIRS: the files of a migration's folder */
	const char *up_file;
	const char *down_file;		/* NULL: the tool has no down */
	const char *metadata_file;	/* diesel's metadata.toml, or NULL */
} PgmFormat;

/* Every format, in the order that breaks ties (golang-migrate first). */
extern const PgmFormat *const pgm_formats[];
extern const int pgm_nformats;

/* The golang-migrate format: the default when nothing else is found. */
extern const PgmFormat *pgm_format_golang(void);

/*
 * A format by the name users give (case ignored): golang-migrate (also
 * golang, encore, atlas, ent), sqlx, dbmate, goose, flyway, diesel, prisma,
 * drizzle.  NULL if there is none by that name.
 */
extern const PgmFormat *pgm_format_by_name(const char *name);

/*
 * For a format argument of a SQL function: NULL or "" is NULL (the setting,
 * else detection); an unknown name is an ERROR (22023) listing the names.
 */
extern const PgmFormat *pgm_format_from_arg(const char *name);

/*
 * The format argument of the folder function being called (NULL: none,
 * pg_migrate.format or detection); until the transaction ends.
 */
extern void pgm_format_argument(const char *name);

/* The names pgm_format_by_name takes, for messages: "golang-migrate, ..." */
extern const char *pgm_format_names(void);

/*
 * The format pg_migrate.format forces, or NULL (detect).  Defines the
 * setting; called from pgm_folder_init.
 */
extern const PgmFormat *pgm_format_setting(void);
extern void pgm_format_init(void);

/*
 * Chooses among formats the folder's files all fit (n >= 2, in
 * pgm_formats order); NULL or a format not among them: the first.  The
 * tracking side sets it to prefer the format whose tool's table exists in
 * the database (sqlx's _sqlx_migrations over golang-migrate).
 */
typedef const PgmFormat *(*pgm_format_choice_hook_type) (const char *path,
														 const PgmFormat *const *candidates,
														 int n);
extern PGDLLIMPORT pgm_format_choice_hook_type pgm_format_choice_hook;

/* ------------------------------------------------------------ detection */

/* One entry of a folder, as the detection sees it. */
typedef struct PgmEntry
{
	char	   *name;
	bool		is_dir;
	bool		is_file;		/* a regular file (links followed) */
	int			sniff;			/* <v>_<name>.sql files: 'd', 'g' or 0 */
	bool		has_up_sql;		/* a folder holding up.sql (diesel) */
	bool		has_migration_sql;	/* a folder holding migration.sql
									 * (Prisma) */
	bool		has_journal;	/* the folder "meta" with _journal.json */
} PgmEntry;

/*
 * The folder's format from its entries, or the forced one if the entries
 * fit it; refuses a folder that mixes formats, naming the files that do
 * not fit.
 */
extern const PgmFormat *pgm_format_detect(const char *path, PgmEntry *entries, int n,
										  const PgmFormat *forced);

/*
 * If the folder has atlas.sum, checks it as Atlas does (format_atlas_check.c):
 * refuses a folder whose .sql files no longer match it, naming them.  With
 * problems, reports them there instead.
 */
extern void pgm_atlas_check(const char *path, List *allowed, PgmEntry *entries, int n,
							List **problems);

/* Would the detection read this file's first lines (pgm_sections_sniff)? */
extern bool pgm_format_wants_sniff(const char *name);

/* -------------------------------------------------------------- listing */

/* Migrations collected from a folder's entries, in any order. */
typedef struct PgmListing
{
	const PgmFormat *format;
	const char *path;
	List	  **problems;		/* NULL: bad names and duplicates are ERRORs */
	int			cap;
	int			nup;
	int			ndown;
	PgmFile    *ups;
	PgmFile    *downs;
	int			nrep;			/* repeatable migrations (Flyway's R__) */
	int			repcap;
	PgmFile    *reps;
} PgmListing;

extern void pgm_listing_init(PgmListing *l, const PgmFormat *format, const char *path,
							 List **problems);

/*
 * Adds one entry: a file name (FILES, JOURNAL) or a migration folder's name
 * (DIRS): a migration, ignored, or a bad name.  Returns the migration
 * added, or NULL.
 */
extern PgmFile *pgm_listing_add(PgmListing *l, const char *entry);

/* Reports (or raises) a problem with an entry, in the listing's mode. */
extern void pgm_listing_refuse(PgmListing *l, const char *entry, int sqlstate,
							   const char *message, const char *detail, const char *hint);

/*
 * Sorts by version, refuses duplicate versions, attaches down sources to
 * their up migration; returns the migrations, *n of them.
 */
extern PgmFile *pgm_listing_finish(PgmListing *l, int *n);

/*
 * The repeatable migrations, ascending by name (Flyway's order); two with
 * one description (Flyway reads "_" as " ") are refused as Flyway does.
 * After pgm_listing_finish.
 */
extern PgmFile *pgm_listing_repeatables(PgmListing *l, int *n);

/*
 * Flyway's order of repeatable migrations' names: their descriptions, "_"
 * read as " "; 0 for the same migration.
 */
extern int	pgm_description_cmp(const char *a, const char *b);

/* Is this Flyway's format? */
extern bool pgm_format_is_flyway(const PgmFormat *format);

/* Does the file have a dotted Flyway version (1.1)? */
extern bool pgm_flyway_file_dotted(const PgmFile *f);

#endif							/* PGM_FORMAT_H */
