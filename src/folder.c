/*-------------------------------------------------------------------------
 *
 * folder.c
 *	  Scan a migration folder and read its files.
 *
 * A folder is listed once per call: its entries are read (with what telling
 * the tools apart needs: which subfolders hold up.sql or migration.sql,
 * the first lines of <v>_<name>.sql files, Drizzle's journal, diesel's
 * metadata.toml, atlas.sum), its format is detected or checked
 * (format_detect.c), and the format classifies the names, sorts them by
 * version and checks for duplicates (format.c) before any migration is
 * read.  This file does the I/O: listing, reading, checksums and the
 * folder's fingerprint.
 *
 * A file loaded to run is prepared for its format: a section of a file
 * that holds both directions (dbmate, goose) keeps the file's length and
 * lines with everything outside it blanked, a byte order mark is blanked,
 * and the tool's own no-transaction marker is read into the source
 * (PgmSource.notx_line; pgm_file_no_transaction is what script.c asks).
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
#include "directives.h"
#include "errctx.h"
#include "checksum_cache.h"
#include "folder.h"
#include "folder_open.h"
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
	pgm_format_init();
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

/* bytes of a file's start read to tell dbmate, goose and plain files apart */
#define SNIFF_BYTES (16 * 1024)
/* the largest meta/_journal.json and metadata.toml read */
#define MAX_META_BYTES (4 * 1024 * 1024)

/* Does dir/name exist (links followed) and is it a regular file? */
static bool
has_regular_file(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, 0) == 0 && S_ISREG(st.st_mode);
}

/* The folder's entries, with what detection needs to know of each. */
static PgmEntry *
read_entries(const char *path, List *allowed, int *nentries)
{
	DIR		   *dir = AllocateDir(path);
	struct dirent *de;
	int			cap = 64;
	int			n = 0;
	PgmEntry   *entries = palloc(sizeof(PgmEntry) * cap);
	int			i;

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
		PgmEntry   *e;
		struct stat st;

		CHECK_FOR_INTERRUPTS();
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap)
		{
			cap *= 2;
			entries = repalloc(entries, sizeof(PgmEntry) * cap);
		}
		e = &entries[n++];
		memset(e, 0, sizeof(PgmEntry));
		e->name = pstrdup(de->d_name);
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, 0) != 0)
		{
			/* a dangling link: a .sql name is reported when it is read */
			e->is_file = true;
			continue;
		}
		e->is_dir = S_ISDIR(st.st_mode);
		e->is_file = !e->is_dir;
		if (e->is_dir)
		{
			char	   *sub;

			sub = psprintf("%s/up.sql", de->d_name);
			e->has_up_sql = has_regular_file(dirfd(dir), sub);
			pfree(sub);
			sub = psprintf("%s/migration.sql", de->d_name);
			e->has_migration_sql = has_regular_file(dirfd(dir), sub);
			pfree(sub);
			e->has_journal = strcmp(de->d_name, "meta") == 0 &&
				has_regular_file(dirfd(dir), "meta/_journal.json");
		}
	}
	FreeDir(dir);

	/* the first lines of <v>_<name>.sql files tell dbmate, goose, plain */
	for (i = 0; i < n; i++)
	{
		size_t		len;
		char	   *head;

		if (!entries[i].is_file || entries[i].name[0] == '.' ||
			!pgm_format_wants_sniff(entries[i].name))
			continue;
		head = pgm_folder_read_start(path, allowed, entries[i].name, SNIFF_BYTES, false, &len);
		entries[i].sniff = pgm_sections_sniff(head, len);
		pfree(head);
	}
	*nentries = n;
	return entries;
}

/* One folder per migration: its files, and diesel's metadata.toml. */
static void
list_migration_folder(PgmListing *l, const char *path, List *allowed, PgmEntry *e)
{
	const PgmFormat *format = l->format;
	PgmFile    *f = pgm_listing_add(l, e->name);
	char	   *dirpath;
	DIR		   *dir;

	if (f == NULL)
		return;
	dirpath = psprintf("%s/%s", path, e->name);
	dir = AllocateDir(dirpath);
	if (dir == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read migration folder \"%s\": %m", dirpath)));
	if (!has_regular_file(dirfd(dir), format->up_file))
	{
		FreeDir(dir);
		pgm_listing_refuse(l, e->name, ERRCODE_UNDEFINED_FILE,
						   psprintf("migration folder \"%s\" has no %s", e->name, format->up_file),
						   psprintf("A %s migration is a folder holding %s; folder \"%s\" is in \"%s\".",
									format->name, format->up_file, e->name, path),
						   psprintf("Add %s to the folder, or move the folder out of \"%s\".",
									format->up_file, path));
		/* collect mode: leave it out */
		f->version = -1;
		return;
	}
	f->filename = psprintf("%s/%s", e->name, format->up_file);
	f->up.filename = f->filename;
	if (format->down_file != NULL && has_regular_file(dirfd(dir), format->down_file))
		f->down.filename = psprintf("%s/%s", e->name, format->down_file);
	if (format->metadata_file != NULL && has_regular_file(dirfd(dir), format->metadata_file))
	{
		char	   *name = psprintf("%s/%s", e->name, format->metadata_file);
		size_t		len;
		char	   *body = pgm_folder_read_start(path, allowed, name, MAX_META_BYTES, true, &len);
		int			bad_line;
		int			line = pgm_diesel_metadata(body, len, &bad_line);

		if (line < 0)
		{
			PgmFileContext ctx;

			pgm_errctx_push(&ctx, name);
			pgm_errctx_at(&ctx, bad_line, 0, NULL);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid run_in_transaction in \"%s\"", name),
					 errdetail("diesel takes the TOML booleans true and false."),
					 errhint("Write run_in_transaction = false or run_in_transaction = true.")));
		}
		/* both directions, as diesel does */
		f->up.notx_line = line > 0 ? 1 : 0;
		f->down.notx_line = f->up.notx_line;
		pfree(body);
	}
	FreeDir(dir);
	pfree(dirpath);
}

static int
find_entry(PgmEntry *entries, int n, const char *name)
{
	int			lo = 0;
	int			hi = n - 1;

	/* entries are sorted by name (pgm_format_detect) */
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			c = strcmp(entries[mid].name, name);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* Drizzle: the migrations meta/_journal.json names, in its order. */
static void
list_journal(PgmListing *l, const char *path, List *allowed, PgmEntry *entries, int n)
{
	const char *jname = "meta/_journal.json";
	size_t		len;
	char	   *json;
	size_t		max;
	size_t		count;
	size_t		i;
	PgmDrizzleEntry *out;
	const char *error;
	int			error_line;
	bool	   *listed = palloc0(sizeof(bool) * Max(n, 1));
	int			k;

	if (find_entry(entries, n, "meta") < 0 || !entries[find_entry(entries, n, "meta")].has_journal)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("drizzle migration folder \"%s\" has no %s", path, jname),
				 errhint("Drizzle Kit writes the journal with the migrations (drizzle-kit generate); copy the whole folder.")));
	json = pgm_folder_read_start(path, allowed, jname, MAX_META_BYTES, true, &len);
	/* an entry is an object: no more entries than "{" */
	max = 1;
	for (i = 0; i < len; i++)
		if (json[i] == '{')
			max++;
	out = palloc(sizeof(PgmDrizzleEntry) * max);
	if (!pgm_drizzle_journal(json, len, out, max, &count, &error, &error_line))
	{
		PgmFileContext ctx;

		pgm_errctx_push(&ctx, jname);
		pgm_errctx_at(&ctx, error_line, 0, NULL);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid drizzle journal \"%s\" in folder \"%s\"", jname, path),
				 errdetail("%s", error)));
	}
	for (i = 0; i < count; i++)
	{
		char	   *tag = pnstrdup(json + out[i].tag_start, out[i].tag_len);
		char	   *file = psprintf("%s.sql", tag);
		int			at = find_entry(entries, n, file);
		PgmFile    *f;

		CHECK_FOR_INTERRUPTS();
		if (at < 0 || !entries[at].is_file)
		{
			pgm_listing_refuse(l, file, ERRCODE_UNDEFINED_FILE,
							   psprintf("migration file \"%s\" is missing", file),
							   psprintf("%s lists migration \"%s\"; folder \"%s\" has no file \"%s\".",
										jname, tag, path, file),
							   "Restore the file, or generate the migrations again with drizzle-kit.");
			continue;
		}
		listed[at] = true;
		f = pgm_listing_add(l, file);
		if (f == NULL)
			continue;
		/* Drizzle's order and its migrator's key is "when" */
		f->version = out[i].when;
		f->version_text = psprintf(INT64_FORMAT, (int64) out[i].when);
		f->name = tag;
	}
	/* a file the journal does not list would never run under Drizzle */
	for (k = 0; k < n; k++)
		if (!listed[k] && entries[k].is_file && pgm_format_wants_sniff(entries[k].name))
			pgm_listing_refuse(l, entries[k].name, ERRCODE_INVALID_NAME,
							   psprintf("migration file \"%s\" is not in %s", entries[k].name, jname),
							   psprintf("Drizzle runs the files its journal lists; \"%s\" in folder \"%s\" is not one of them.",
										entries[k].name, path),
							   "Generate the migration with drizzle-kit, or move the file out of the folder.");
	pfree(json);
	pfree(out);
	pfree(listed);
}

PgmFolder *
pgm_folder_scan(const char *path, List **problems)
{
	return pgm_folder_scan_as(path, problems, NULL);
}

PgmFolder *
pgm_folder_scan_as(const char *path, List **problems, const PgmFormat *format)
{
	List	   *allowed = check_folder(path);
	PgmFolder  *folder;
	PgmListing	listing;
	PgmEntry   *entries;
	int			n;
	int			i;

	entries = read_entries(path, allowed, &n);
	if (format == NULL)
		format = pgm_format_setting();
	format = pgm_format_detect(path, entries, n, format);
	pgm_atlas_check(path, allowed, entries, n, problems);

	pgm_listing_init(&listing, format, path, problems);
	switch (format->layout)
	{
		case PGM_LAYOUT_FILES:
			for (i = 0; i < n; i++)
			{
				CHECK_FOR_INTERRUPTS();
				pgm_listing_add(&listing, entries[i].name);
			}
			break;
		case PGM_LAYOUT_DIRS:
			for (i = 0; i < n; i++)
			{
				CHECK_FOR_INTERRUPTS();
				if (entries[i].is_dir)
					list_migration_folder(&listing, path, allowed, &entries[i]);
			}
			/* a folder without its up file was left out (collect mode) */
			{
				int			kept = 0;

				for (i = 0; i < listing.nup; i++)
					if (listing.ups[i].version >= 0)
						listing.ups[kept++] = listing.ups[i];
				listing.nup = kept;
			}
			break;
		case PGM_LAYOUT_JOURNAL:
			list_journal(&listing, path, allowed, entries, n);
			break;
	}

	folder = palloc0(sizeof(PgmFolder));
	folder->path = pstrdup(path);
	folder->allowed = allowed;
	folder->cxt = CurrentMemoryContext;
	folder->format = format;
	folder->files = pgm_listing_finish(&listing, &folder->nfiles);
	folder->repeatables = pgm_listing_repeatables(&listing, &folder->nrepeatables);
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
	struct timespec started;

	memset(&r, 0, sizeof(r));
	r.file = file;
	r.encoding = GetDatabaseEncoding();
	r.line = 1;
	clock_gettime(CLOCK_REALTIME, &started);
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
	pgm_checksum_cache_put(path, &st, checksum, &started);
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

/* Spaces over body[start, end), newlines kept: lines stay where they are. */
static void
blank(char *body, size_t start, size_t end)
{
	size_t		i;

	for (i = start; i < end; i++)
		if (body[i] != '\n')
			body[i] = ' ';
}

/* The text of line `line` of body, for an error's context. */
static char *
line_text(const char *body, size_t len, int line)
{
	PgmLine		l;

	pgm_lines_begin(&l, body, len);
	while (pgm_lines_next(&l, body, len))
		if (l.number == line)
			return pnstrdup(body + l.start, l.end - l.start);
	return NULL;
}

/*
 * What of a loaded file runs: its section (blanking the rest), and whether
 * the format's marker runs it outside a transaction.
 */
static void
prepare_body(PgmFolder *folder, PgmFile *file)
{
	const PgmFormat *format = folder->format ? folder->format : pgm_format_golang();
	PgmSource  *src = &file->up;
	size_t		len = file->len;

	if (format->sections != NULL && src->section != PGM_SECTION_WHOLE)
	{
		PgmSections s;

		if (!format->sections(file->body, len, &s))
		{
			PgmFileContext ctx;

			pgm_errctx_push(&ctx, file->filename);
			if (s.error_line > 0)
				pgm_errctx_at(&ctx, s.error_line, 1, line_text(file->body, len, s.error_line));
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("invalid %s migration file \"%s\"", format->name, file->filename),
					 errdetail("%s", s.error)));
		}
		if (src->section == PGM_SECTION_UP)
		{
			src->start = s.up_start;
			src->end = s.up_end;
			src->notx_line = s.notx_up;
		}
		else if (s.has_down)
		{
			src->start = s.down_start;
			src->end = s.down_end;
			src->notx_line = s.notx_down;
		}
		else
		{
			/* goose without "-- +goose Down": an empty down, as in goose */
			src->start = src->end = len;
			src->notx_line = 0;
		}
		blank(file->body, 0, src->start);
		blank(file->body, src->end, len);
		return;
	}
	if (format->no_transaction != NULL)
		src->notx_line = format->no_transaction(file->body, len) ? 1 : 0;
	src->start = 0;
	src->end = len;
	blank(file->body, 0, pgm_skip_bom(file->body, len));
}

void
pgm_file_load(PgmFolder *folder, PgmFile *file)
{
	if (file->body == NULL)
	{
		read_file(folder, file, true);
		prepare_body(folder, file);
	}
}

int
pgm_file_no_transaction(const PgmFile *file)
{
	if (file->up.notx_line >= 0)
		return file->up.notx_line;
	return pgm_directive_no_transaction(file->body, file->len);
}

PgmFile *
pgm_file_down(const PgmFile *file)
{
	PgmFile    *down;

	if (file->down.filename == NULL)
		return NULL;
	down = palloc0(sizeof(PgmFile));
	down->version = file->version;
	down->version_text = file->version_text;
	down->name = file->name;
	down->filename = file->down.filename;
	down->up = file->down;
	pgm_line_cursor_init(&down->pos);
	return down;
}

void
pgm_file_checksum(PgmFolder *folder, PgmFile *file)
{
	char	   *path;

	if (file->body != NULL)
		return;
	/* unchanged since this backend hashed it (checksum_cache.c) */
	path = psprintf("%s/%s", folder->path, file->filename);
	if (!file->loaded && pgm_checksum_cache_get(path,
							   Min((size_t) pgm_max_file_size_kb * 1024, MaxAllocSize - 1),
							   file->checksum, &file->len))
		file->loaded = true;
	else
		read_file(folder, file, false);
	pfree(path);
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

/* The files of one subfolder: names, sizes, modification times. */
static uint64
folder_entries_signature(int parent, const char *name)
{
	int			fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NONBLOCK);
	DIR		   *dir;
	struct dirent *de;
	uint64		sum = 0;

	if (fd < 0)
		return 0;
	dir = fdopendir(fd);
	if (dir == NULL)
	{
		close(fd);
		return 0;
	}
	while ((de = readdir(dir)) != NULL)
	{
		struct stat st;
		uint64		entry[3];

		if (de->d_name[0] == '.')
			continue;
		memset(entry, 0, sizeof(entry));
		if (fstatat(dirfd(dir), de->d_name, &st, 0) == 0)
		{
			entry[0] = (uint64) st.st_size;
			entry[1] = (uint64) st.st_mtim.tv_sec;
			entry[2] = (uint64) st.st_mtim.tv_nsec;
		}
		sum += hash_bytes_extended((const unsigned char *) de->d_name, (int) strlen(de->d_name),
								   hash_bytes_extended((const unsigned char *) entry,
													   sizeof(entry), (uint64) strlen(name)));
	}
	closedir(dir);
	return sum;
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
		if (de->d_name[0] == '.')
			continue;
		memset(entry, 0, sizeof(entry));
		if (fstatat(dirfd(dir), de->d_name, &st, 0) == 0)
		{
			entry[0] = (uint64) st.st_size;
			entry[1] = (uint64) st.st_mtim.tv_sec;
			entry[2] = (uint64) st.st_mtim.tv_nsec;
			/* one folder per migration (diesel, Prisma, Drizzle's meta) */
			if (S_ISDIR(st.st_mode))
				sum += folder_entries_signature(dirfd(dir), de->d_name);
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
