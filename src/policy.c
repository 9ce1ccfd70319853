/*-------------------------------------------------------------------------
 *
 * policy.c
 *	  Who may read which migration folders.
 *
 * Reading a folder on the server is reading server files, so the caller
 * must be a superuser or a member of pg_read_server_files (the rule of
 * COPY FROM a file).  The check runs before any file is touched, even
 * though EXECUTE is also revoked from PUBLIC: a superuser may grant EXECUTE
 * to a role that lacks the right.
 *
 * pg_migrate.allowed_directories narrows that: when set, every folder and
 * every migration file, with symbolic links resolved, must lie inside one
 * of the listed directories, for every user.  When empty, superusers may
 * use any folder and other members of pg_read_server_files none: a role
 * that may read some server files should not thereby run any SQL file on
 * the machine.
 *
 * What is checked is what is read: a folder or file is opened first, and
 * the check is on the opened directory or file, by the path the kernel
 * keeps for the open file (/proc/self/fd), never by resolving its name a
 * second time.  A check on the name followed by an open of the same name
 * would let a link swapped in between redirect the read outside the allowed
 * directories; links inside them, to folders or files inside them, are
 * fine.
 *
 * IDENTIFICATION
 *	  src/policy.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "access/xlog.h"
#include "catalog/pg_authid.h"
#include "compat.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "policy.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/varlena.h"

static char *pgm_allowed_directories = NULL;

static bool
check_allowed_directories(char **newval, void **extra, GucSource source)
{
	char	   *raw = pstrdup(*newval);
	List	   *dirs;
	ListCell   *lc;

	if (!SplitDirectoriesString(raw, ',', &dirs))
	{
		GUC_check_errdetail("List syntax is invalid.");
		return false;
	}
	foreach(lc, dirs)
	{
		char	   *dir = (char *) lfirst(lc);

		if (!is_absolute_path(dir))
		{
			GUC_check_errdetail("Directory \"%s\" is not an absolute path.", dir);
			return false;
		}
	}
	return true;
}

void
pgm_policy_init(void)
{
	DefineCustomStringVariable("pg_migrate.allowed_directories",
							   "Sets the directories migration folders must lie in.",
							   "A comma-separated list of absolute paths. Empty means any folder, for superusers only.",
							   &pgm_allowed_directories,
							   "",
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_LIST_INPUT,
							   check_allowed_directories, NULL, NULL);
}

void
pgm_check_access(void)
{
	Oid			role = GetUserId();

	if (superuser() || has_privs_of_role(role, ROLE_PG_READ_SERVER_FILES))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to read migration folders"),
			 errdetail("Role \"%s\" is neither a superuser nor a member of pg_read_server_files.",
					   GetUserNameFromId(role, false)),
			 errhint("Ask a superuser to run GRANT pg_read_server_files TO %s.",
					 GetUserNameFromId(role, false))));
}

/* The allowed directories, canonical; NIL when the setting is empty. */
static List *
allowed_list(void)
{
	List	   *dirs = NIL;
	List	   *result = NIL;
	ListCell   *lc;

	if (pgm_allowed_directories == NULL || pgm_allowed_directories[0] == '\0')
		return NIL;
	if (!SplitDirectoriesString(pstrdup(pgm_allowed_directories), ',', &dirs))
		return NIL;				/* rejected by the check hook */
	foreach(lc, dirs)
	{
		char		resolved[PATH_MAX];
		char	   *dir = (char *) lfirst(lc);

		/* a listed directory that is itself a link is followed */
		result = lappend(result, realpath(dir, resolved) ? pstrdup(resolved) : dir);
	}
	return result;
}

static bool
path_inside(const char *path, List *dirs)
{
	ListCell   *lc;

	foreach(lc, dirs)
	{
		const char *dir = (const char *) lfirst(lc);
		size_t		len = strlen(dir);

		while (len > 1 && dir[len - 1] == '/')
			len--;
		if (strncmp(path, dir, len) == 0 &&
			(path[len] == '\0' || path[len] == '/' || len == 1))
			return true;
	}
	return false;
}

static bool
has_parent_reference(const char *path)
{
	const char *p = path;

	while ((p = strstr(p, "..")) != NULL)
	{
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
		p += 2;
	}
	return false;
}

static void
refuse_folder_outside(const char *path, const char *resolved)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("migration folder \"%s\" is outside pg_migrate.allowed_directories", path),
			 errdetail("The folder resolves to \"%s\"; allowed directories are \"%s\".",
					   resolved, pgm_allowed_directories),
			 errhint("Move the migrations into an allowed directory, or ask a superuser to add the folder to pg_migrate.allowed_directories.")));
}

List *
pgm_check_folder(const char *path)
{
	List	   *allowed;
	char		resolved[PATH_MAX];

	if (!is_absolute_path(path))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration folder must be an absolute path"),
				 errdetail("The folder given was \"%s\".", path),
				 errhint("Give the folder's full path on the database server, starting with \"/\".")));
	if (has_parent_reference(path))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration folder path must not contain \"..\""),
				 errdetail("The folder given was \"%s\".", path),
				 errhint("Give the folder's full path without parent-directory references.")));

	allowed = allowed_list();
	if (allowed == NIL)
	{
		if (!superuser())
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to read migration folder \"%s\"", path),
					 errdetail("pg_migrate.allowed_directories is empty, which lets only superusers read migration folders."),
					 errhint("Ask a superuser to list the folder's parent directory in pg_migrate.allowed_directories.")));
		return NIL;
	}

	if (realpath(path, resolved) == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open migration folder \"%s\": %m", path),
				 errdetail("The folder is read by the database server, as the operating system user that runs it."),
				 errhint("Check that the folder exists on the database server and that the server can read it.")));
	if (!path_inside(resolved, allowed))
		refuse_folder_outside(path, resolved);
	return allowed;
}

/*
 * The absolute path of what fd is open on, as the kernel recorded it when
 * it was opened (moved since: where it is now); false with errno set if
 * there is none.  Nothing is looked up by name, so no link changed after
 * the open can make it name anything else.  Linux only, as is pg_migrate's
 * build (Debian 12).
 */
static bool
opened_path(int fd, char *buf, size_t size)
{
	char		link[64];
	ssize_t		n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size);
	if (n < 0)
		return false;
	if ((size_t) n >= size)
	{
		errno = ENAMETOOLONG;
		return false;
	}
	buf[n] = '\0';
	if (buf[0] != '/')
	{
		/* not a file of the file system (a pipe, a socket) */
		errno = ENOENT;
		return false;
	}
	return true;
}

void
pgm_check_opened_folder(List *allowed, int fd, const char *path)
{
	char		resolved[PATH_MAX];

	if (allowed == NIL)
		return;
	if (!opened_path(fd, resolved, sizeof(resolved)))
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not determine where migration folder \"%s\" is: %m", path),
				 errdetail("pg_migrate.allowed_directories is checked on the folder the server opened, through /proc/self/fd."),
				 errhint("Make /proc available to the database server.")));
	if (!path_inside(resolved, allowed))
		refuse_folder_outside(path, resolved);
}

void
pgm_check_opened_file(List *allowed, int fd, const char *folder, const char *filename)
{
	char		resolved[PATH_MAX];

	if (allowed == NIL)
		return;
	if (!opened_path(fd, resolved, sizeof(resolved)))
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not determine where migration file \"%s\" is: %m", filename),
				 errdetail("The file is in folder \"%s\"; pg_migrate.allowed_directories is checked on the file the server opened, through /proc/self/fd.",
						   folder),
				 errhint("Make /proc available to the database server.")));
	if (!path_inside(resolved, allowed))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("migration file \"%s\" is outside pg_migrate.allowed_directories", filename),
				 errdetail("Migration file \"%s\" in folder \"%s\" resolves to \"%s\".",
						   filename, folder, resolved),
				 errhint("Replace the symbolic link with the file itself, or ask a superuser to allow the directory it points into.")));
}

void
pgm_check_primary(void)
{
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot apply migrations during recovery"),
				 errdetail("This server is a standby; it replays the primary's changes and accepts no writes."),
				 errhint("Apply migrations on the primary; they reach standbys through WAL like any DDL.")));
}
