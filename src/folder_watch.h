/*-------------------------------------------------------------------------
 *
 * folder_watch.h
 *	  Whether a folder may have changed since the last look, from the
 *	  kernel (inotify), so that an idle worker does not list and stat a
 *	  folder of thousands of files every interval.
 *
 * IDENTIFICATION
 *	  src/folder_watch.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_FOLDER_WATCH_H
#define PGM_FOLDER_WATCH_H

#include "datatype/timestamp.h"

typedef struct PgmFolderWatch
{
	int			fd;				/* inotify descriptor; -1: none */
	char	   *path;			/* the folder watched, in TopMemoryContext */
	TimestampTz next_full;		/* a look anyway from then on */
} PgmFolderWatch;

extern void pgm_folder_watch_init(PgmFolderWatch *w);

/*
 * True when the folder cannot have changed since the previous call: the
 * watch on dir was armed before then, the kernel reported no event on it,
 * and the periodic full look is not due.  False otherwise (and always the
 * first time, or when the kernel cannot watch it): look at the folder.
 */
extern bool pgm_folder_watch_quiet(PgmFolderWatch *w, const char *dir);

/* Gives the descriptor back. */
extern void pgm_folder_watch_close(PgmFolderWatch *w);

#endif							/* PGM_FOLDER_WATCH_H */
