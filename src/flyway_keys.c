/*-------------------------------------------------------------------------
 *
 * flyway_keys.c
 *	  The version keys of a Flyway folder (flyway_version.h): integer
 *	  versions as they are until the folder has a dotted version, then the
 *	  order-preserving encoding for every version of the folder; and the
 *	  refusal of a folder whose keys no longer match its history.
 *
 * Why a folder that gains its first dotted file after integer versions
 * were applied is refused instead of re-keyed: no bigint key both keeps an
 * integer V as V and puts 1.1 between 1 and 2, and the history's keys are
 * what every other record (progress, the trackers, the locks, the job
 * rows) refers to; changing them silently could make an applied migration
 * look pending.  The user names the new file with an integer version, or
 * starts a new history (README, Flyway).
 *
 * Memory: the caller's current context.
 *
 * IDENTIFICATION
 *	  src/flyway_keys.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "flyway_keys.h"
#include "miscadmin.h"

bool
pgm_flyway_folder_dotted(const PgmFolder *folder)
{
	int			i;

	if (folder == NULL || !pgm_format_is_flyway(folder->format))
		return false;
	for (i = 0; i < folder->nfiles; i++)
		if (pgm_flyway_file_dotted(&folder->files[i]))
			return true;
	return false;
}

bool
pgm_flyway_text_key(const PgmFolder *folder, const char *text, int64 *key)
{
	size_t		len = strlen(text);
	int64_t		k;

	if (pgm_flyway_folder_dotted(folder))
	{
		if (pgm_flyway_version_key(text, len, &k) != PGM_FLYWAY_KEY_OK)
			return false;
		*key = k;
		return true;
	}

	/* an integer folder: an integer version (1, 001, 1.0, 1.0.0) */
	if (len == 0 || pgm_flyway_is_dotted(text, len) ||
		pgm_flyway_version_key(text, len, &k) == PGM_FLYWAY_KEY_SYNTAX)
		return false;
	{
		size_t		ndigits = strspn(text, "0123456789");
		int			overflow;

		pgm_read_digits(text, ndigits, &k, &overflow);
		if (overflow)
			return false;
	}
	*key = k;
	return true;
}

void
pgm_flyway_check_history(const PgmFolder *folder, const PgmHistory *hist)
{
	bool		dotted;
	int			i;
	int			j = 0;

	if (folder == NULL || !pgm_format_is_flyway(folder->format))
		return;
	dotted = pgm_flyway_folder_dotted(folder);
	for (i = 0; i < hist->n; i++)
	{
		const PgmHistoryEntry *h = &hist->entries[i];
		bool		encoded = h->version >= PGM_FLYWAY_KEY_BASE &&
			h->version <= PGM_FLYWAY_KEY_LAST;

		if (!pgm_history_is_applied_state(h->state))
			continue;
		if (dotted && !encoded)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("folder \"%s\" has dotted Flyway versions, but integer versions of it were applied before",
							folder->path),
					 errdetail("pg_migrate keys a Flyway folder's versions as integers until the folder has a dotted version (1.1), and then by an encoding of every version; the history has version " INT64_FORMAT " (\"%s\") applied with its integer key, which the encoding would change.",
							   h->version, h->name ? h->name : ""),
					 errhint("Give the new migration an integer version (V<next integer>__<description>.sql).")));
		if (!dotted && encoded)
		{
			/* folder files are sorted by key, as are history entries */
			while (j < folder->nfiles && folder->files[j].version < h->version)
				j++;
			if (j < folder->nfiles && folder->files[j].version == h->version)
				continue;
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("folder \"%s\" has no dotted Flyway version, but its history was keyed by dotted versions",
							folder->path),
					 errdetail("Migration \"%s\" was applied with the key of a folder that has dotted versions; without them the folder's versions are keyed as integers and would not match the history.",
							   h->name ? h->name : ""),
					 errhint("Restore the folder's dotted migration files.")));
		}
	}
}
