/*-------------------------------------------------------------------------
 *
 * folder.c
 *	  Scan a migration folder and read its files.
 *
 * A folder is listed once per call: its format (format.h) classifies the
 * names, sorts them by version and checks for duplicates before anything
 * is read.  This file does the I/O: listing, reading, checksums and the
 * folder's fingerprint.
 * A file that runs is read whole, once, into memory; the checksum and the
 * executed SQL come from the same bytes, so a file edited during a call
 * cannot be applied in a form other than the one recorded.  A file whose
 * checksum is all that is needed passes through a small buffer instead
 * (pgm_file_checksum); loaded later in the same call, its bytes must have
 * that checksum.
 *
 * Files are read in pieces of READ_CHUNK bytes, each checked (no NUL byte,
 * valid in the database encoding), hashed and counted in lines, with an
 * interrupt check in between: a large file does not hold up a cancel.
 *
 * What is checked is what is read (policy.h): the folder is checked once
 * its directory is open for listing, each file once it is open for
 * reading, on what was opened rather than on its name.
 *
 * Memory: the folder is allocated in the caller's current memory context,
 * and so are the bytes of its files (in that context, folder->cxt, even when
 * a file is loaded later in another); pgm_file_release gives back the bytes
 * of a file that ran or will not run.
 *
 * IDENTIFICATION
 *	  src/folder.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cryptohash.h"
#include "common/hashfn.h"
#include "common/sha2.h"
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

/* bytes read, checked and hashed between two interrupt checks */
#define READ_CHUNK (64 * 1024)

/* One file being read: what was taken so far. */
typedef struct FileReader
{
	PgmFile    *file;
	PgmFileContext ctx;			/* the file and line of an error */
	int			encoding;		/* the database's */
	pg_cryptohash_ctx *hash;
	int			line;			/* line of the first byte not taken */
} FileReader;

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
	/* the names listed are those of the directory that was checked */
	pgm_check_opened_folder(allowed, dirfd(dir), path);
	while ((de = ReadDir(dir, path)) != NULL)
	{
		CHECK_FOR_INTERRUPTS();
		pgm_listing_add(&listing, de->d_name);
	}
	FreeDir(dir);

	folder = palloc0(sizeof(PgmFolder));
	folder->path = pstrdup(path);
	folder->allowed = allowed;
	folder->cxt = CurrentMemoryContext;
	folder->files = pgm_listing_finish(&listing, &folder->nfiles);
	return folder;
}

/* Newlines in p[0, n). */
static int
count_newlines(const char *p, size_t n)
{
	const char *end = p + n;
	int			count = 0;

	while ((p = memchr(p, '\n', end - p)) != NULL)
	{
		count++;
		p++;
	}
	return count;
}

static void
checksum_failed(FileReader *r)
{
	ereport(ERROR,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("could not compute the checksum of migration file \"%s\": %s",
					r->file->filename, pg_cryptohash_error(r->hash))));
}

/*
 * Checks, hashes and counts the lines of the next n bytes of the file, at p;
 * returns how many were taken.  Bytes the server could not take as query
 * text are refused, with their line in the error context.  A character cut
 * at the end of the piece is left for the next piece (unless at_end).
 */
static size_t
take_piece(FileReader *r, const char *p, size_t n, bool at_end)
{
	const char *nul = memchr(p, '\0', n);
	size_t		valid;

	if (nul != NULL)
	{
		pgm_errctx_at(&r->ctx, r->line + count_newlines(p, nul - p), 0, NULL);
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("migration file \"%s\" contains a NUL byte", r->file->filename),
				 errhint("Migration files must be text; remove the NUL byte or save the file in the database encoding (%s).",
						 GetDatabaseEncodingName())));
	}

	valid = (size_t) pg_encoding_verifymbstr(r->encoding, p, (int) n);
	if (valid < n &&
		(at_end || n - valid >= (size_t) pg_encoding_max_length(r->encoding)))
	{
		pgm_errctx_at(&r->ctx, r->line + count_newlines(p, valid), 0, NULL);
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("migration file \"%s\" is not valid %s", r->file->filename,
						GetDatabaseEncodingName()),
				 errdetail("Invalid byte sequence 0x%02x.", (unsigned char) p[valid]),
				 errhint("Save the file in the database encoding (%s).", GetDatabaseEncodingName())));
	}

	if (pg_cryptohash_update(r->hash, (const uint8 *) p, valid) < 0)
		checksum_failed(r);
	r->line += count_newlines(p, valid);
	return valid;
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

/*
 * Reads a file once, in pieces, checking and hashing each; keep: into
 * file->body, else through a small buffer.  Opens the file, then checks
 * that what was opened lies in the allowed directories.
 */
static void
read_file(PgmFolder *folder, PgmFile *file, bool keep)
{
	char	   *path = psprintf("%s/%s", folder->path, file->filename);
	struct stat st;
	int			fd;
	/* a file and its terminating NUL must fit in one palloc */
	size_t		max_size = Min((size_t) pgm_max_file_size_kb * 1024, MaxAllocSize - 1);
	size_t		len;
	size_t		done = 0;		/* bytes read */
	size_t		unchecked = 0;	/* of those, not taken yet */
	char	   *base;			/* keep: the body; else the buffer */
	char	   *at;				/* the first byte not taken yet */
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char		checksum[PGM_CHECKSUM_LEN + 1];
	FileReader	r;

	memset(&r, 0, sizeof(r));
	r.file = file;
	r.encoding = GetDatabaseEncoding();
	r.line = 1;
	pgm_errctx_push(&r.ctx, file->filename);

	/* O_NONBLOCK: opening a FIFO must not block; fstat then refuses it */
	fd = OpenTransientFile(path, O_RDONLY | O_NONBLOCK | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open migration file \"%s\": %m", file->filename),
				 errdetail("The file is in folder \"%s\".", folder->path),
				 errhint("Check that the file, or the target of the link, exists and that the database server's operating system user can read it.")));
	pgm_check_opened_file(folder->allowed, fd, folder->path, file->filename);

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
	len = (size_t) st.st_size;

	/* room for one byte more than the file has: see the loop */
	if (keep)
		base = MemoryContextAlloc(folder->cxt, len + 1);
	else
		base = palloc(Min(len + 1, READ_CHUNK) + MAX_MULTIBYTE_CHAR_LEN);
	at = base;

	r.hash = pg_cryptohash_create(PG_SHA256);
	if (r.hash == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	if (pg_cryptohash_init(r.hash) < 0)
		checksum_failed(&r);

	/*
	 * Ask for one byte more than the file has: a short read then means end
	 * of file (no extra read call), and getting that byte means it grew.
	 */
	for (;;)
	{
		size_t		want = Min((size_t) READ_CHUNK, len + 1 - done);
		ssize_t		n;
		bool		at_end;
		size_t		taken;

		CHECK_FOR_INTERRUPTS();
		n = read(fd, at + unchecked, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read migration file \"%s\": %m", file->filename),
					 errdetail("The file is in folder \"%s\".", folder->path)));
		done += n;
		if (done > len || (n == 0 && done < len))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("migration file \"%s\" changed while it was read", file->filename),
					 done > len ?
					 errdetail("The file had %zu bytes when it was opened and more while it was read.", len) :
					 errdetail("The file had %zu bytes when it was opened and fewer while it was read.", len),
					 errhint("Do not change migration files while they are being applied.")));
		at_end = (n == 0 || (done == len && (size_t) n < want));

		unchecked += n;
		taken = take_piece(&r, at, unchecked, at_end);
		unchecked -= taken;
		if (keep)
			at += taken;
		else if (unchecked > 0)
			memmove(base, at + taken, unchecked);
		if (at_end)
			break;
	}
	CloseTransientFile(fd);

	if (pg_cryptohash_final(r.hash, digest, sizeof(digest)) < 0)
		checksum_failed(&r);
	pg_cryptohash_free(r.hash);
	hex_encode((const char *) digest, PG_SHA256_DIGEST_LENGTH, checksum);
	checksum[PGM_CHECKSUM_LEN] = '\0';

	/* read before in this call: what runs must be what was checksummed */
	if (file->loaded && strcmp(checksum, file->checksum) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration file \"%s\" changed while it was read", file->filename),
				 errdetail("Its SHA-256 checksum was %s when it was read earlier in this call, and is %s now.",
						   file->checksum, checksum),
				 errhint("Do not change migration files while they are being applied.")));

	memcpy(file->checksum, checksum, sizeof(checksum));
	file->len = len;
	file->loaded = true;
	if (keep)
	{
		base[len] = '\0';
		file->body = base;
		pgm_line_cursor_init(&file->pos);
		file->pos_chars = 0;
	}
	else
		pfree(base);
	pfree(path);
	pgm_errctx_pop(&r.ctx);
}

void
pgm_file_load(PgmFolder *folder, PgmFile *file)
{
	if (file->body == NULL)
		read_file(folder, file, true);
}

void
pgm_file_checksum(PgmFolder *folder, PgmFile *file)
{
	if (file->body == NULL)
		read_file(folder, file, false);
}

void
pgm_file_release(PgmFile *file)
{
	if (file->body != NULL)
		pfree(file->body);
	file->body = NULL;
	pgm_line_cursor_init(&file->pos);
	file->pos_chars = 0;
}

/*
 * Only metadata is read here, and nothing of it reaches a user or runs: a
 * changed fingerprint makes the worker apply the folder, through
 * pgm_folder_scan and pgm_file_load and their checks.  The entries are
 * looked up in the directory that was listed (fstatat), not by a path
 * resolved again.
 */
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
		uint64		entry[3];

		CHECK_FOR_INTERRUPTS();
		if (pgm_format()->classify(de->d_name, len).kind == PGM_NAME_IGNORED)
			continue;
		memset(entry, 0, sizeof(entry));
		if (fstatat(dirfd(dir), de->d_name, &st, 0) == 0)
		{
			entry[0] = (uint64) st.st_size;
			entry[1] = (uint64) st.st_mtim.tv_sec;
			entry[2] = (uint64) st.st_mtim.tv_nsec;
		}
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
