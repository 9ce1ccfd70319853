/*-------------------------------------------------------------------------
 *
 * folder.c
 *	  Scan a migration folder and read its files.
 *
 * A folder is listed once per call: its format (format.h) classifies the
 * names, sorts them by version and checks for duplicates before anything
 * is read.  This file does the I/O: listing, reading, checksums and the
 * folder's fingerprint.
 * Files are then read whole, once, into memory; the checksum and the
 * executed SQL come from the same bytes, so a file edited during a call
 * cannot be applied in a form other than the one recorded.
 *
 * Memory: everything is allocated in the caller's current memory context;
 * pgm_file_release gives back the bytes of files that will not run.
 *
 * IDENTIFICATION
 *	  src/folder.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "common/hashfn.h"
#include "compat.h"
#include "errctx.h"
#include "folder.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "format.h"
#include "policy.h"
#include "storage/fd.h"
#include "textpos.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

/* pg_migrate.max_file_size, in kB; 1GB is PostgreSQL's limit for a text */
#define MAX_FILE_SIZE_KB (1024 * 1024)
static int	pgm_max_file_size_kb = MAX_FILE_SIZE_KB;

void
pgm_folder_init(void)
{
	DefineCustomIntVariable("pg_migrate.max_file_size",
							"Sets the largest migration file pg_migrate reads.",
							"Larger files are refused; PostgreSQL cannot hold a query text over 1GB.",
							&pgm_max_file_size_kb,
							MAX_FILE_SIZE_KB,
							1,
							MAX_FILE_SIZE_KB,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);
}

static List *
check_folder(const char *path)
{
	struct stat st;
	List	   *allowed = pgm_check_folder(path);

	if (stat(path, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open migration folder \"%s\": %m", path),
				 errdetail("The folder is read by the database server, as the operating system user that runs it."),
				 errhint("Check that the folder exists on the database server and that the server can read it.")));

	if (!S_ISDIR(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("migration folder \"%s\" is not a directory", path),
				 errhint("Give the folder's path, not a file's.")));
	return allowed;
}

PgmFolder *
pgm_folder_scan(const char *path, List **problems)
{
	List	   *allowed = check_folder(path);
	PgmFolder  *folder;
	PgmListing	listing;
	DIR		   *dir;
	struct dirent *de;

	pgm_listing_init(&listing, pgm_format(), path, problems);
	dir = AllocateDir(path);
	if (dir == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read migration folder \"%s\": %m", path),
				 errdetail("The folder is read by the database server, as the operating system user that runs it."),
				 errhint("Check that the server's operating system user may list the folder.")));
	while ((de = ReadDir(dir, path)) != NULL)
	{
		CHECK_FOR_INTERRUPTS();
		pgm_listing_add(&listing, de->d_name);
	}
	FreeDir(dir);

	folder = palloc0(sizeof(PgmFolder));
	folder->path = pstrdup(path);
	folder->allowed = allowed;
	folder->files = pgm_listing_finish(&listing, &folder->nfiles);
	return folder;
}

/* Refuses bytes that the server could not take as query text. */
static void
check_text(PgmFile *file, PgmFileContext *ctx)
{
	const char *nul = memchr(file->body, '\0', file->len);
	int			valid;

	if (nul != NULL)
	{
		pgm_errctx_at(ctx, pgm_line_at(file->body, nul - file->body), 0, NULL);
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("migration file \"%s\" contains a NUL byte", file->filename),
				 errhint("Migration files must be text; remove the NUL byte or save the file in the database encoding (%s).",
						 GetDatabaseEncodingName())));
	}

	valid = pg_encoding_verifymbstr(GetDatabaseEncoding(), file->body, (int) file->len);
	if (valid < (int) file->len)
	{
		pgm_errctx_at(ctx, pgm_line_at(file->body, valid), 0, NULL);
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("migration file \"%s\" is not valid %s", file->filename,
						GetDatabaseEncodingName()),
				 errdetail("Invalid byte sequence 0x%02x.", (unsigned char) file->body[valid]),
				 errhint("Save the file in the database encoding (%s).", GetDatabaseEncodingName())));
	}
}

static void
not_regular(PgmFolder *folder, PgmFile *file)
{
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("migration file \"%s\" is not a regular file", file->filename),
			 errdetail("The file is in folder \"%s\".", folder->path),
			 errhint("Replace it with a regular file, or remove it from the folder.")));
}

void
pgm_file_load(PgmFolder *folder, PgmFile *file)
{
	char	   *path = psprintf("%s/%s", folder->path, file->filename);
	struct stat st;
	int			fd;
	/* a file and its terminating NUL must fit in one palloc */
	size_t		max_size = Min((size_t) pgm_max_file_size_kb * 1024, MaxAllocSize - 1);
	size_t		done = 0;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	PgmFileContext ctx;

	pgm_errctx_push(&ctx, file->filename);
	pgm_check_file(folder->allowed, folder->path, file->filename, path);

	/* O_NONBLOCK: opening a FIFO must not block; fstat then refuses it */
	fd = OpenTransientFile(path, O_RDONLY | O_NONBLOCK | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open migration file \"%s\": %m", file->filename),
				 errdetail("The file is in folder \"%s\".", folder->path),
				 errhint("Check that the file, or the target of the link, exists and that the database server's operating system user can read it.")));

	if (fstat(fd, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat migration file \"%s\": %m", file->filename),
				 errdetail("The file is in folder \"%s\".", folder->path)));
	if (!S_ISREG(st.st_mode))
		not_regular(folder, file);
	if ((size_t) st.st_size > max_size)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("migration file \"%s\" is too large", file->filename),
				 errdetail("The file has %lld bytes; pg_migrate.max_file_size allows %zu.",
						   (long long) st.st_size, max_size),
				 errhint("Split the migration into smaller files, or raise pg_migrate.max_file_size.")));

	/*
	 * Ask for one byte more than the file has: a short read then means end
	 * of file (no extra read call), and getting that byte means it grew.
	 */
	file->len = (size_t) st.st_size;
	file->body = palloc(file->len + 1);
	for (;;)
	{
		size_t		want = file->len + 1 - done;
		ssize_t		n = read(fd, file->body + done, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read migration file \"%s\": %m", file->filename),
					 errdetail("The file is in folder \"%s\".", folder->path)));
		done += n;
		if (done > file->len || (n == 0 && done < file->len))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("migration file \"%s\" changed while it was read", file->filename),
					 done > file->len ?
					 errdetail("The file had %zu bytes when it was opened and more while it was read.", file->len) :
					 errdetail("The file had %zu bytes when it was opened and fewer while it was read.", file->len),
					 errhint("Do not change migration files while they are being applied.")));
		if (n == 0 || (done == file->len && (size_t) n < want))
			break;
	}
	CloseTransientFile(fd);
	file->body[file->len] = '\0';

	check_text(file, &ctx);

	pgm_sha256((const uint8 *) file->body, file->len, digest);
	hex_encode((const char *) digest, PG_SHA256_DIGEST_LENGTH, file->checksum);
	file->checksum[PGM_CHECKSUM_LEN] = '\0';
	file->loaded = true;
	pfree(path);
	pgm_errctx_pop(&ctx);
}

void
pgm_file_release(PgmFile *file)
{
	if (file->body != NULL)
		pfree(file->body);
	file->body = NULL;
}

bool
pgm_folder_signature(const char *path, uint64 *signature)
{
	DIR		   *dir = AllocateDir(path);
	struct dirent *de;
	uint64		sum = 0;
	uint64		count = 0;

	if (dir == NULL)
		return false;
	while ((de = ReadDirExtended(dir, path, LOG)) != NULL)
	{
		size_t		len = strlen(de->d_name);
		struct stat st;
		char	   *file;
		uint64		entry[3];

		if (pgm_format()->classify(de->d_name, len).kind == PGM_NAME_IGNORED)
			continue;
		file = psprintf("%s/%s", path, de->d_name);
		memset(entry, 0, sizeof(entry));
		if (stat(file, &st) == 0)
		{
			entry[0] = (uint64) st.st_size;
			entry[1] = (uint64) st.st_mtim.tv_sec;
			entry[2] = (uint64) st.st_mtim.tv_nsec;
		}
		pfree(file);
		/* a sum of per-file hashes: independent of readdir order */
		sum += hash_bytes_extended((const unsigned char *) de->d_name, (int) len,
								   hash_bytes_extended((const unsigned char *) entry,
													   sizeof(entry), 0));
		count++;
	}
	FreeDir(dir);
	*signature = sum ^ (count * UINT64CONST(0x9E3779B97F4A7C15));
	return true;
}
