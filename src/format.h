/*-------------------------------------------------------------------------
 *
 * format.h
 *	  A migration tool's folder format: which entries of a folder are
 *	  migrations, what their names say, and how up and down pair up.
 *
 * A migration is a version, a description, and an up source and a down
 * source (PgmSource: a file of the folder, or a byte range of one, for
 * formats that keep both directions in one file).  A format classifies each
 * directory entry by name; the listing (format.c) sorts the migrations,
 * refuses two with one version and attaches each down source to its up.
 * golang-migrate's naming (format_golang.c) is the first format.
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

typedef struct PgmFormat
{
	const char *name;			/* the tool, for messages */

	/* Classifies one entry name; never fails (format_golang.h's contract). */
	PgmName		(*classify) (const char *entry, size_t len);

	/* One sentence on why a name of this kind is refused. */
	const char *(*name_problem) (PgmNameKind kind);
} PgmFormat;

/* The folder's format; golang-migrate's for now. */
extern const PgmFormat *pgm_format(void);

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
} PgmListing;

extern void pgm_listing_init(PgmListing *l, const PgmFormat *format, const char *path,
							 List **problems);

/* Adds one directory entry: a migration, ignored, or a bad name. */
extern void pgm_listing_add(PgmListing *l, const char *entry);

/*
 * Sorts by version, refuses duplicate versions, attaches down sources to
 * their up migration; returns the migrations, *n of them.
 */
extern PgmFile *pgm_listing_finish(PgmListing *l, int *n);

#endif							/* PGM_FORMAT_H */
