/*-------------------------------------------------------------------------
 *
 * folder_watch.c
 *	  Whether a folder may have changed since the last look, from the
 *	  kernel (inotify), so that an idle worker does not list and stat a
 *	  folder of thousands of files every interval.
 *
 * The scheduler looks at pg_migrate.directory every pg_migrate.interval.
 * A look lists the folder and stats each migration file
 * (pgm_folder_signature); on 10,000 files that is most of an idle worker's
 * cost.  With a watch armed on the folder, a look whose watch reported no
 * event since the previous look is skipped: one non-blocking read instead
 * of 10,000 stat calls.
 *
 * What it guarantees: a file created, written, renamed, removed or touched
 * in the folder itself, and the folder moved or removed, are seen at the
 * next interval, as without the watch.  What inotify cannot see (writes on
 * another machine to a network file system, changes inside a per-migration
 * subfolder, a folder swapped under a symbolic link in its path) is still
 * seen by a full look at most PGM_WATCH_FULL_LOOK_S seconds later.  A watch
 * that cannot be set up (inotify limits, another operating system) means a
 * full look every interval, as before.
 *
 * The watch is armed before the look it follows, so a change made while
 * the folder is being read is reported at the next call.
 *
 * IDENTIFICATION
 *	  src/folder_watch.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "folder_watch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#ifdef __linux__
#include <sys/inotify.h>
#endif
#include <unistd.h>

/* A full look at least this often, whatever the kernel says. */
#define PGM_WATCH_FULL_LOOK_S	60

void
pgm_folder_watch_init(PgmFolderWatch *w)
{
	w->fd = -1;
	w->path = NULL;
	w->next_full = 0;
}

void
pgm_folder_watch_close(PgmFolderWatch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->path != NULL)
		pfree(w->path);
	pgm_folder_watch_init(w);
}

#ifdef __linux__

/* Arms a watch on dir; false when the kernel will not. */
static bool
arm(PgmFolderWatch *w, const char *dir)
{
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0)
		return false;
	if (inotify_add_watch(w->fd, dir,
						  IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE |
						  IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB |
						  IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR) < 0)
	{
		close(w->fd);
		w->fd = -1;
		return false;
	}
	w->path = MemoryContextStrdup(TopMemoryContext, dir);
	return true;
}

/*
 * Reads every pending event; true when there was one (or the queue
 * overflowed, or the read failed: look).
 */
static bool
drain(PgmFolderWatch *w)
{
	char		buf[4096] pg_attribute_aligned(__alignof__(struct inotify_event));
	bool		any = false;

	for (;;)
	{
		ssize_t		n = read(w->fd, buf, sizeof(buf));

		if (n > 0)
		{
			any = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return any;
		return true;			/* an error or end of file: look */
	}
}

bool
pgm_folder_watch_quiet(PgmFolderWatch *w, const char *dir)
{
	TimestampTz now = GetCurrentTimestamp();
	bool		changed;

	if (w->fd >= 0 && strcmp(w->path, dir) != 0)
		pgm_folder_watch_close(w);
	if (w->fd < 0)
	{
		/* armed now, before the look that follows */
		(void) arm(w, dir);
		w->next_full = TimestampTzPlusMilliseconds(now, PGM_WATCH_FULL_LOOK_S * 1000);
		return false;
	}
	changed = drain(w);
	if (changed || now >= w->next_full)
	{
		w->next_full = TimestampTzPlusMilliseconds(now, PGM_WATCH_FULL_LOOK_S * 1000);
		return false;
	}
	return true;
}

#else							/* !__linux__ */

bool
pgm_folder_watch_quiet(PgmFolderWatch *w, const char *dir)
{
	return false;
}

#endif
