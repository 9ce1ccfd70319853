/*-------------------------------------------------------------------------
 *
 * track_rows.h
 *	  What the trackers that keep one row per migration share: their
 *	  table (found, checked, created as the tool creates it), the set of
 *	  applied versions read from it, and the bytes and digests of files.
 *
 * Every tool but golang-migrate keeps a row per migration (sqlx, goose,
 * dbmate, Flyway, diesel, Prisma, Drizzle: track_<tool>.c).  A tracker
 * describes its table in a PgmToolTable; these functions find it without
 * a search_path, refuse a table of that name that is not the tool's
 * (55000, track_recognize.c), create it as the tool does when it is
 * missing (as the caller, who then owns it, as under the tool), and the
 * tracker reads and writes it as its owner in a security-restricted
 * operation with a pinned search_path (safe_sql.h).
 *
 * IDENTIFICATION
 *	  src/track_rows.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_TRACK_ROWS_H
#define PGM_TRACK_ROWS_H

#include "common/cryptohash.h"
#include "folder.h"
#include "safe_sql.h"
#include "track.h"
#include "track_recognize.h"

typedef struct PgmToolTable
{
	const char *tool;			/* "sqlx", for messages */
	const char *schema;
	const char *relname;
	PgmTableShape shape;		/* what track_recognize.c must say */
	const char *columns;		/* the tool's columns, for messages */

	/*
	 * The tool's DDL; %1$s is the qualified table name.  May hold several
	 * statements (Flyway's constraint and index).
	 */
	const char *create;
	const char *seed;			/* run after create, as the new owner
								 * (goose's version 0 row); NULL: none */
	bool		create_schema;	/* the tool creates the schema (Drizzle) */
} PgmToolTable;

/* schema.table, quoted as needed */
extern char *pgm_rows_qualified(const PgmToolTable *tt);

/* Sets t->schema, relname and table; returns the table, or InvalidOid. */
extern Oid	pgm_rows_locate(PgmTracked *t, const PgmToolTable *tt);

/* Refuses a relation that is not the tool's table (see track_golang.c). */
extern void pgm_rows_check(const PgmToolTable *tt, Oid relid);

/* The table, created as the tool creates it when missing; checked. */
extern Oid	pgm_rows_ensure(PgmTracked *t, const PgmToolTable *tt);

/*
 * Runs sql on the table as its owner (SPI_execute_with_args); returns the
 * SPI result code.  Reads leave SPI_tuptable for the caller, who must
 * have called pgm_as_owner_begin instead when it reads rows.
 */
extern int	pgm_rows_exec(Oid relid, const char *sql, int nargs, Oid *types,
						  Datum *values, const char *nulls);

/*
 * Reads the tool's table: sets t->exists (and the names, as
 * pgm_rows_locate), refuses a table of another shape, and runs sql (%s:
 * the qualified table name) as the table's owner.  Returns false, nothing
 * run, when there is no table.  Otherwise SPI_tuptable holds the rows, the
 * current memory context is the caller's again, and pgm_rows_select_end
 * must follow.
 */
extern bool pgm_rows_select(PgmTracked *t, const PgmToolTable *tt, const char *sql,
							const char *what, PgmAsOwner *owner);
extern void pgm_rows_select_end(PgmAsOwner *owner);

/*
 * A tool's revert of one migration: DELETE FROM its table WHERE column =
 * value (of type), as the table's owner.
 */
extern void pgm_rows_delete(PgmTracked *t, const PgmToolTable *tt, const char *column,
							Oid type, Datum value);

/* The applied set, built row by row then sorted (t->exact). */
extern void pgm_rows_add(PgmTracked *t, int64 version, const char *checksum);
extern void pgm_rows_finish(PgmTracked *t);

/* The folder's migration with that version, or NULL. */
extern PgmFile *pgm_rows_file(const PgmTracked *t, int64 version);

/*
 * Reads a table of version texts (dbmate, diesel) into t: a row matches
 * the file whose version text it is (drop_dashes: without its dashes); a
 * version no file has is kept by its digits, as a missing file.
 */
extern void pgm_track_read_texts(PgmTracked *t, const PgmToolTable *tt, bool drop_dashes);

/* The leading digits of s as a version; false if none or too large. */
extern bool pgm_rows_leading_int(const char *s, int64 *version);

/*
 * The file's bytes exactly as on disk (the BOM pg_migrate blanks put back),
 * checked against the checksum pg_migrate read; palloc'd, *len bytes.
 * Loads the file for the time of the call if it is not loaded.
 */
extern char *pgm_rows_raw_bytes(PgmTracked *t, PgmFile *file, size_t *len);

/* Hex of a SHA-2 digest (PG_SHA256, PG_SHA384) of buf. */
extern char *pgm_rows_sha_hex(int type, const char *buf, size_t len);

/* The description a tool derives from a name: "_" read as " ". */
extern char *pgm_rows_spaced(const char *name);

/* The role the run is for (installed_by), before any owner switch. */
extern char *pgm_rows_user(void);

/* pg_migrate's own lock key, for tools that take none (dbmate, diesel, Drizzle). */
extern int64 pgm_rows_own_lock_key(void);

#endif							/* PGM_TRACK_ROWS_H */
