/*-------------------------------------------------------------------------
 *
 * folder.h
 *	  Which files of a folder are migrations, and their bytes.
 *
 * IDENTIFICATION
 *	  src/folder.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_FOLDER_H
#define PGM_FOLDER_H

#include "nodes/pg_list.h"
#include "problems.h"
#include "textpos.h"

#define PGM_CHECKSUM_LEN 64		/* hex SHA-256 */

/*
 * The version of every repeatable migration (Flyway's R__<description>.sql)
 * in PgmFile.version and pgmigrate.history.version: a repeatable migration
 * has no version, and is known by its description (name).  Versions of
 * versioned migrations are never negative.
 */
#define PGM_VERSION_REPEATABLE	(-1)

/*
 * Where one direction of a migration is: a file of the folder (a path
 * relative to it, for formats with a folder per migration), or a section of
 * one, for formats that keep both directions in one file (dbmate, goose).
 * A section's byte range [start, end) is known once the file is loaded.
 * filename NULL: none.
 */
typedef enum PgmSectionKind
{
	PGM_SECTION_WHOLE,			/* the whole file */
	PGM_SECTION_UP,				/* the up section of the file */
	PGM_SECTION_DOWN			/* the down section of the file */
} PgmSectionKind;

typedef struct PgmSource
{
	char	   *filename;
	PgmSectionKind section;
	size_t		start;			/* set by pgm_file_load */
	size_t		end;

	/*
	 * Runs outside a transaction: the line of the tool's marker that says so
	 * (diesel's metadata.toml: 1), 0 if it runs in one, -1 if pg_migrate's
	 * own first-line markers decide (directives.c; golang-migrate's format).
	 * The tool's marker is read when the file is loaded.
	 */
	int			notx_line;
} PgmSource;

/* One migration of a folder. */
typedef struct PgmFile
{
	int64		version;		/* ordering key */
	char	   *version_text;	/* the version as written in the name */
	char	   *name;			/* description part of the file name */
	char	   *filename;		/* the up source's file, for messages */
	PgmSource	up;
	PgmSource	down;			/* down.filename NULL: no down migration */
	bool		repeatable;		/* Flyway's R__ file: version is
								 * PGM_VERSION_REPEATABLE, version_text "" */

	/* set by pgm_file_load and pgm_file_checksum */
	bool		loaded;			/* checksum and len are known */
	char	   *body;			/* NUL-terminated file bytes, NULL if not held */
	size_t		len;
	char		checksum[PGM_CHECKSUM_LEN + 1];

	/*
	 * Where in body a position was last asked (pgm_script_position), so that
	 * positions asked in ascending order cost one pass over the file in all:
	 * the line, and the characters from its start to pos.off.
	 */
	PgmLineCursor pos;
	int			pos_chars;
} PgmFile;

typedef struct PgmFolder
{
	char	   *path;			/* as given by the caller */
	List	   *allowed;		/* allowed directories; NIL: any */
	MemoryContext cxt;			/* where the folder and file bytes live */
	const struct PgmFormat *format;	/* the tool whose folder it is */
	int			nfiles;
	PgmFile    *files;			/* ascending version */

	/*
	 * Repeatable migrations (Flyway's R__ files), ascending by name as
	 * Flyway orders them: applied after the versioned ones whenever their
	 * checksum is not the one last applied.
	 */
	int			nrepeatables;
	PgmFile    *repeatables;
} PgmFolder;

extern void pgm_folder_init(void);

/*
 * Lists the migrations of a folder; reads no file contents.  The folder
 * lives in the current memory context.  With problems NULL, a bad name or a
 * duplicate version raises an ERROR; otherwise each is added to *problems
 * (a List of PgmProblem) and the file is left out.
 */
extern PgmFolder *pgm_folder_scan(const char *path, List **problems);

/*
 * The same, reading the folder as format's (NULL: pg_migrate.format, else
 * detected).  Files that do not fit a forced format are an ERROR naming
 * them, as is a folder that mixes formats.
 */
extern PgmFolder *pgm_folder_scan_as(const char *path, List **problems,
									 const struct PgmFormat *format);

/*
 * Reads a file once into file->body, checks its size and encoding and
 * computes its checksum: what is checksummed is what will be executed.
 * The checksum is the whole file's; for a section of a file (dbmate,
 * goose) the body keeps the file's length and lines but everything outside
 * the section is blanked (spaces; newlines kept), so statements, lines and
 * columns are the file's own.  A UTF-8 byte order mark at the start is
 * blanked too.  A file the format's reader refuses (a section marker
 * missing, an unknown annotation) is an ERROR with its line.  If
 * the checksum was known already (pgm_file_checksum, or a load since
 * released), bytes with another checksum are refused (55000, the file changed
 * during the call), so the checksum compared with the history is still that
 * of what runs.  Does nothing if the bytes are held already.  The bytes are
 * allocated in folder->cxt, whatever the current memory context: a file may
 * be loaded in a short-lived context and released later.
 */
extern void pgm_file_load(PgmFolder *folder, PgmFile *file);

/*
 * The same reading and checks as pgm_file_load, keeping only the checksum
 * and the length: the bytes pass through a buffer of a few kB, whatever the
 * file's size.  For files that will not run (already applied, status), and
 * for a first pass whose files are loaded later only if they run.
 */
extern void pgm_file_checksum(PgmFolder *folder, PgmFile *file);

/*
 * The line of the marker that makes a loaded file run outside a
 * transaction, 0 if none: the format's own marker, or for golang-migrate's
 * format pg_migrate's first-line markers (directives.c).
 */
extern int	pgm_file_no_transaction(const PgmFile *file);

/*
 * The down direction of a migration as a migration of its own to load and
 * run (its up source is file's down source; version and name are file's),
 * or NULL if it has none.  Allocated in the current memory context.
 */
extern PgmFile *pgm_file_down(const PgmFile *file);

/* Frees the bytes of a loaded file, keeping its checksum. */
extern void pgm_file_release(PgmFile *file);

/*
 * A cheap fingerprint of the folder's migration files (names, sizes,
 * modification times) without reading them; false if the folder cannot be
 * listed (errno set).  The worker skips a run while it is unchanged.
 */
extern bool pgm_folder_signature(const char *path, uint64 *signature);

#endif							/* PGM_FOLDER_H */
