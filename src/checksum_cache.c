/*-------------------------------------------------------------------------
 *
 * checksum_cache.c
 *	  A backend's memory of the checksums of migration files it read, by
 *	  file identity, so that a call with nothing to do does not read and
 *	  hash every file again.
 *
 * A no-op migrate_apply or migrate_status compares every file of the folder
 * with the history by SHA-256.  Reading and hashing 1,000 files costs an
 * open, a read and a close each; with this cache a file whose identity did
 * not change since this backend hashed it costs one stat call, as git's
 * index spares git status from reading unchanged files.
 *
 * What it guarantees.  The identity is the device and inode (a file
 * replaced, renamed over or swapped behind a symbolic link is another
 * inode), the size, and the modification and change times in nanoseconds.
 * Any write to a file sets its change time to the current time, and no
 * system call sets the change time to an earlier one, so a file written
 * after it was hashed has another identity.  The exception is a write in
 * the same clock tick as the hashing read (file systems keep times at the
 * kernel's timer resolution): a file whose change or modification time is
 * within one second before the read began is not remembered ("racily
 * clean" in git's words) and is read again next time.  What the cache
 * gives is only a checksum to compare: a migration that runs is always
 * read from disk, with every check, and compared with the checksum
 * compared before (folder.c), so a change the cache could not see makes
 * the run stop with "changed while it was read" rather than run other SQL
 * than was checked.  The identity includes pg_migrate.allowed_directories
 * as it was, so a narrower setting reads the file again through its checks.
 *
 * Memory: at most PGM_CHECKSUM_CACHE_MAX entries in TopMemoryContext; when
 * full, the cache is emptied and fills again.
 *
 * IDENTIFICATION
 *	  src/checksum_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "checksum_cache.h"
#include "common/hashfn.h"
#include "folder.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#define PGM_CHECKSUM_CACHE_MAX	100000

typedef struct CacheEntry
{
	char		key[MAXPGPATH]; /* path, then allowed_directories' hash */
	dev_t		dev;
	ino_t		ino;
	off_t		size;
	struct timespec mtime;
	struct timespec ctime;
	char		checksum[PGM_CHECKSUM_LEN + 1];
} CacheEntry;

static HTAB *cache = NULL;

static bool
make_key(const char *path, char *key)
{
	const char *allowed = GetConfigOption("pg_migrate.allowed_directories", true, false);
	uint32		h = allowed ? hash_bytes((const unsigned char *) allowed, strlen(allowed)) : 0;

	return snprintf(key, MAXPGPATH, "%s|%08x", path, h) < MAXPGPATH;
}

static bool
same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

bool
pgm_checksum_cache_get(const char *path, size_t max_size, char *checksum, size_t *len)
{
	char		key[MAXPGPATH];
	CacheEntry *e;
	struct stat st;

	if (cache == NULL || !make_key(path, key))
		return false;
	e = (CacheEntry *) hash_search(cache, key, HASH_FIND, NULL);
	if (e == NULL)
		return false;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
		st.st_dev != e->dev || st.st_ino != e->ino || st.st_size != e->size ||
		!same_time(&st.st_mtim, &e->mtime) || !same_time(&st.st_ctim, &e->ctime) ||
		(size_t) st.st_size > max_size)
		return false;
	memcpy(checksum, e->checksum, PGM_CHECKSUM_LEN + 1);
	*len = (size_t) st.st_size;
	return true;
}

/* Is t less than one second before started? */
static bool
settled(const struct timespec *t, const struct timespec *started)
{
	return t->tv_sec + 1 < started->tv_sec ||
		(t->tv_sec + 1 == started->tv_sec && t->tv_nsec < started->tv_nsec);
}

void
pgm_checksum_cache_put(const char *path, const struct stat *st, const char *checksum,
					   const struct timespec *started)
{
	char		key[MAXPGPATH];
	CacheEntry *e;
	bool		found;

	if (!make_key(path, key))
		return;
	if (cache == NULL || hash_get_num_entries(cache) >= PGM_CHECKSUM_CACHE_MAX)
	{
		HASHCTL		ctl;

		if (cache != NULL)
			hash_destroy(cache);
		ctl.keysize = MAXPGPATH;
		ctl.entrysize = sizeof(CacheEntry);
		ctl.hcxt = TopMemoryContext;
		cache = hash_create("pg_migrate checksums", 1024, &ctl,
							HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	if (!settled(&st->st_mtim, started) || !settled(&st->st_ctim, started))
	{
		(void) hash_search(cache, key, HASH_REMOVE, NULL);
		return;
	}
	e = (CacheEntry *) hash_search(cache, key, HASH_ENTER, &found);
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = st->st_size;
	e->mtime = st->st_mtim;
	e->ctime = st->st_ctim;
	memcpy(e->checksum, checksum, PGM_CHECKSUM_LEN + 1);
}
