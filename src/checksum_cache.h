/*-------------------------------------------------------------------------
 *
 * checksum_cache.h
 *	  A backend's memory of the checksums of migration files it read, by
 *	  file identity, so that a call with nothing to do does not read and
 *	  hash every file again.
 *
 * IDENTIFICATION
 *	  src/checksum_cache.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_CHECKSUM_CACHE_H
#define PGM_CHECKSUM_CACHE_H

#include <sys/stat.h>
#include <time.h>

/*
 * The checksum of the file at path when its identity (device, inode, size,
 * modification and change times) is the one it had when it was hashed:
 * true with checksum (PGM_CHECKSUM_LEN + 1 bytes) and *len set.  Costs one
 * stat call.  False when it is unknown or may have changed, or is larger
 * than max_size.
 */
extern bool pgm_checksum_cache_get(const char *path, size_t max_size,
								   char *checksum, size_t *len);

/*
 * Remembers what a complete read of path found: st from fstat on the
 * descriptor read, started is when the read began (CLOCK_REALTIME).
 */
extern void pgm_checksum_cache_put(const char *path, const struct stat *st,
								   const char *checksum, const struct timespec *started);

#endif							/* PGM_CHECKSUM_CACHE_H */
