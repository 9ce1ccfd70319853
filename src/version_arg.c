/*-------------------------------------------------------------------------
 *
 * version_arg.c
 *	  The version a user names in a call, as the folder's version key:
 *	  integers as they are, Flyway's dotted versions (and every version of
 *	  a Flyway folder that has one) by flyway_version.h's encoding.
 *
 * The folder's names are listed once more for this (no file is read);
 * the plan lists them again under the migration lock.
 *
 * IDENTIFICATION
 *	  src/version_arg.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <errno.h>

#include "flyway_keys.h"
#include "utils/builtins.h"
#include "version_arg.h"

/* An integer with an optional sign and nothing else, in *value. */
static bool
integer_text(const char *text, int64 *value)
{
	char	   *end;
	long long	v;

	if (text[0] == '\0' || (text[0] != '-' && text[0] != '+' && !isdigit((unsigned char) text[0])))
		return false;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0' || end == text)
		return false;
	*value = (int64) v;
	return true;
}

/* The first part of a Flyway version (its syntax checked). */
static int64
first_part(const char *text)
{
	int64_t		v;
	int			overflow;

	pgm_read_digits(text, strspn(text, "0123456789"), &v, &overflow);
	return overflow ? PG_INT64_MAX : v;
}

int64
pgm_version_arg_key(const char *dir, const char *text, bool exact)
{
	List	   *problems = NIL;
	PgmFolder  *folder = pgm_folder_scan_as(dir, &problems, NULL);
	size_t		len = strlen(text);
	int64		value;
	int64		key;
	int64_t		ignored;
	int			i;

	if (!pgm_format_is_flyway(folder->format))
	{
		if (!integer_text(text, &value))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid migration version \"%s\"", text),
					 errdetail("Folder \"%s\" is a %s folder, whose versions are integers.",
							   dir, folder->format->name)));
		return value;
	}

	/* below every version of any folder */
	if (integer_text(text, &value) && value < 0)
		return value;

	if (pgm_flyway_version_key(text, len, &ignored) == PGM_FLYWAY_KEY_SYNTAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid Flyway version \"%s\"", text),
				 errdetail("A Flyway version is digits separated by dots or underscores (1, 1.2, 1_2).")));
	if (!pgm_flyway_text_key(folder, text, &key))
	{
		if (pgm_flyway_folder_dotted(folder) || !pgm_flyway_is_dotted(text, len))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("Flyway version \"%s\" is out of range for pg_migrate's version key", text),
					 errdetail("%s", pgm_flyway_folder_dotted(folder) ? pgm_flyway_key_limits() :
							   "In a Flyway folder of integer versions a version is a bigint.")));
		/* a dotted version between the integers of an integer folder */
		if (exact)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("version \"%s\" is not a migration of the folder", text),
					 errhint("Give the version of a migration file of the folder, or 0 for no migration applied; migrate_status lists them.")));
		return first_part(text);	/* the integers up to it */
	}
	/* other folders: revert.c and baseline.c check the version */
	if (!exact || !pgm_flyway_folder_dotted(folder))
		return key;

	for (i = 0; i < folder->nfiles; i++)
		if (folder->files[i].version == key)
			return key;
	if (first_part(text) == 0 && !pgm_flyway_is_dotted(text, len))
		return 0;				/* no migration applied */
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("version \"%s\" is not a migration of the folder", text),
			 errhint("Give the version of a migration file of the folder, or 0 for no migration applied; migrate_status lists them.")));
	return 0;					/* keep the compiler quiet */
}

int64
pgm_version_argument(FunctionCallInfo fcinfo, int argno, bool is_text,
					 const char *dir, bool exact)
{
	char	   *version;

	Assert(!PG_ARGISNULL(argno));
	if (is_text)
		version = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	else
		version = psprintf(INT64_FORMAT, PG_GETARG_INT64(argno));
	return pgm_version_arg_key(dir, version, exact);
}
