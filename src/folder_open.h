/*-------------------------------------------------------------------------
 *
 * folder_open.h
 *	  Opening and reading a small file of a migration folder, after the
 *	  checks migration files get.
 *
 * IDENTIFICATION
 *	  src/folder_open.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_FOLDER_OPEN_H
#define PGM_FOLDER_OPEN_H

#include "nodes/pg_list.h"

/*
 * Opens folder/name for reading, checked as migration files are (a regular
 * file in pg_migrate.allowed_directories); returns the descriptor
 * (OpenTransientFile).
 */
extern int	pgm_folder_open_file(const char *path, List *allowed, const char *name);

/*
 * Reads at most max bytes of folder/name; *len gets how many.  whole: a
 * longer file is an ERROR (a journal or metadata file), else the rest is
 * not read (the start of a file, to tell its tool).
 */
extern char *pgm_folder_read_start(const char *path, List *allowed, const char *name,
								   size_t max, bool whole, size_t *len);

/* Reads a small file of the folder whole; more than max bytes is an ERROR. */
extern char *pgm_folder_read_small(const char *path, List *allowed, const char *name,
								   size_t max, size_t *len);

#endif							/* PGM_FOLDER_OPEN_H */
