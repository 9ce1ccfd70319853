/*-------------------------------------------------------------------------
 *
 * lint_catalog.h
 *	  What lint knows about the objects a statement touches: created
 *	  earlier in the folder, or existing in the catalog with a size.
 *
 * IDENTIFICATION
 *	  src/lint_catalog.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_LINT_CATALOG_H
#define PGM_LINT_CATALOG_H

#include "nodes/parsenodes.h"
#include "utils/hsearch.h"

/* Kinds of names the folder creates (each has its own namespace) */
#define PGM_NAME_RELATION	'r'		/* tables, views, indexes, sequences */
#define PGM_NAME_SCHEMA		'n'
#define PGM_NAME_TYPE		't'
#define PGM_NAME_DATABASE	'd'
#define PGM_NAME_NOTNULL	'c'		/* "table.column" has a validated CHECK
									 * (column IS NOT NULL) */

/* A CHECK (column IS NOT NULL) NOT VALID added earlier in the folder */
typedef struct PgmNullCheck
{
	char	   *table;			/* as written */
	char	   *conname;
	char	   *column;
} PgmNullCheck;

typedef struct PgmLintCatalog
{
	HTAB	   *names;			/* what earlier statements created */
	List	   *null_checks;	/* PgmNullCheck */
	int64		big_bytes;		/* pg_migrate.lint_big_table */
} PgmLintCatalog;

/* A table (or index) a statement touches. */
typedef struct PgmLintTable
{
	char	   *name;			/* as written */
	bool		created;		/* by an earlier statement of the folder */
	bool		exists;			/* in the catalog */
	Oid			relid;
	char		relkind;
	double		tuples;			/* pg_class.reltuples; -1 unknown */
	int64		bytes;			/* size on disk of the main fork */
	bool		big;			/* bytes >= pg_migrate.lint_big_table */
} PgmLintTable;

extern PgmLintCatalog *pgm_lint_catalog_create(int64 big_bytes);

/* Records that an earlier statement created name (schema may be NULL). */
extern void pgm_lint_note_name(PgmLintCatalog *cat, char kind, const char *schema,
							   const char *name);
extern bool pgm_lint_has_name(PgmLintCatalog *cat, char kind, const char *schema,
							  const char *name);

/* Records what statement tree creates (CREATE TABLE, INDEX, SCHEMA, TYPE, ...). */
extern void pgm_lint_note_created(PgmLintCatalog *cat, Node *tree);

/*
 * Looks rv up: created earlier in the folder, or in the catalog (with the
 * search_path of the session, taking no lock that waits) with its size
 * from pg_class and the relation's length.  Runs no SQL.
 */
extern void pgm_lint_table(PgmLintCatalog *cat, RangeVar *rv, PgmLintTable *t);

/* The same for a relation known by OID (the trace). */
extern void pgm_lint_table_oid(PgmLintCatalog *cat, Oid relid, PgmLintTable *t);

/*
 * The severity of a dangerous statement on t: NULL (no finding) for a
 * table created earlier in the folder, big_sev on a big existing table,
 * small_sev otherwise (small, or not found).
 */
extern const char *pgm_lint_table_severity(const PgmLintTable *t, const char *big_sev,
										   const char *small_sev);

/* 'table "accounts" (300000 rows, 25 MB)', for messages. */
extern char *pgm_lint_describe(const PgmLintTable *t);

/* Is there a validated CHECK (column IS NOT NULL) on t, in the catalog? */
extern bool pgm_lint_has_notnull_check(const PgmLintTable *t, const char *column);

#endif							/* PGM_LINT_CATALOG_H */
