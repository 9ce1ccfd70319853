/*-------------------------------------------------------------------------
 *
 * folder_open.c
 *	  Opening and reading a small file of a migration folder (a journal,
 *	  metadata, atlas.sum, the first bytes of a file), after the checks
 *	  migration files get.
 *
 * Shared by the listing (folder.c) and the readers of the tools' side
 * files (format_atlas_check.c), so that neither depends on the other for
 * it.  Migration files themselves are read, hashed and checked in
 * folder.c.
 *
 * IDENTIFICATION
 *	  src/folder_open.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "folder_open.h"
#include "miscadmin.h"
#include "policy.h"
#include "storage/fd.h"

/*
 * Opens folder/name for reading after the folder's checks: a regular file
 * in the allowed directories.
 */
int
pgm_folder_open_file(const char *path, List *allowed, const char *name)
{
	char	   *full = psprintf("%s/%s", path, name);
	int			fd = OpenTransientFile(full, O_RDONLY | O_NONBLOCK | PG_BINARY);
	struct stat st;

	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open migration file \"%s\": %m", name),
				 errdetail("The file is in folder \"%s\".", path),
				 errhint("Check that the file, or the target of the link, exists and that the database server's operating system user can read it.")));
	pgm_check_opened_file(allowed, fd, path, name);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("migration file \"%s\" is not a regular file", name),
				 errdetail("The file is in folder \"%s\".", path),
				 errhint("Replace it with a regular file, or remove it from the folder.")));
	pfree(full);
	return fd;
}

char *
pgm_folder_read_small(const char *path, List *allowed, const char *name, size_t max,
					  size_t *len)
{
	return pgm_folder_read_start(path, allowed, name, max, true, len);
}

char *
pgm_folder_read_start(const char *path, List *allowed, const char *name, size_t max, bool whole,
		   size_t *len)
{
	int			fd = pgm_folder_open_file(path, allowed, name);
	char	   *buf = palloc(max + 2);
	size_t		done = 0;

	for (;;)
	{
		ssize_t		n;

		CHECK_FOR_INTERRUPTS();
		n = read(fd, buf + done, max + 1 - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read migration file \"%s\": %m", name),
					 errdetail("The file is in folder \"%s\".", path)));
		if (n == 0)
			break;
		done += n;
		if (done > max)
		{
			if (whole)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("file \"%s\" is too large", name),
						 errdetail("The file is in folder \"%s\"; pg_migrate reads at most %zu bytes of it.",
								   path, max)));
			done = max;
			break;
		}
	}
	CloseTransientFile(fd);
	buf[done] = '\0';
	*len = done;
	return buf;
}

