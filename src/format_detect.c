/*-------------------------------------------------------------------------
 *
 * format_detect.c
 *	  Which tool's folder a folder is, from its entries.
 *
 * Each entry says which formats it fits: <v>_<name>.up.sql and .down.sql
 * fit golang-migrate and sqlx; <v>_<name>.sql fits dbmate or goose when its
 * first lines carry their markers, else sqlx and Drizzle; V/U/R__ names fit
 * Flyway; folders holding up.sql fit diesel, folders holding migration.sql
 * and migration_lock.toml fit Prisma; meta/_journal.json fits Drizzle.
 * Other entries (README.md, atlas.sum, hidden files, other folders) say
 * nothing, and names no format takes are reported by the chosen format's
 * listing as before.
 *
 * The folder's format is the one every telling entry fits.  Several
 * (golang-migrate and sqlx): pgm_format_choice_hook, else the first in
 * pgm_formats order.  None: the folder mixes formats, an ERROR naming the
 * entries that do not fit the format most entries fit.  A forced format
 * (argument, pg_migrate.format) must be fitted by every telling entry, or
 * the ERROR names those that do not.  No telling entry at all (an empty
 * folder): golang-migrate, or the forced format.
 *
 * IDENTIFICATION
 *	  src/format_detect.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "format.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"

/* how many entries an error names */
#define MAX_NAMED 10

static int
format_index(const PgmFormat *format)
{
	int			i;

	for (i = 0; i < pgm_nformats; i++)
		if (pgm_formats[i] == format)
			return i;
	elog(ERROR, "unknown migration format");
	return -1;					/* keep compiler quiet */
}

static uint32
bit_of(const char *name)
{
	return (uint32) 1 << format_index(pgm_format_by_name(name));
}

bool
pgm_format_wants_sniff(const char *name)
{
	return pgm_single_parse_name(name, strlen(name)).kind == PGM_NAME_UP;
}

/* The formats an entry fits, as bits of pgm_formats indexes; 0: says nothing. */
static uint32
entry_fits(const PgmEntry *e)
{
	size_t		len = strlen(e->name);

	if (len == 0 || e->name[0] == '.')
		return 0;
	if (e->is_dir)
	{
		uint32		fits = 0;

		if (e->has_up_sql)
			fits |= bit_of("diesel");
		if (e->has_migration_sql)
			fits |= bit_of("prisma");
		if (e->has_journal)
			fits |= bit_of("drizzle");
		return fits;
	}
	if (strcmp(e->name, "migration_lock.toml") == 0)
		return bit_of("prisma");
	if (!e->is_file || !pgm_ends_with(e->name, len, ".sql", 1))
		return 0;
	{
		PgmNameKind g = pgm_parse_name(e->name, len).kind;
		PgmNameKind f = pgm_flyway_parse_name(e->name, len).kind;

		if (g == PGM_NAME_UP || g == PGM_NAME_DOWN)
			return bit_of("golang-migrate") | bit_of("sqlx");
		if (f == PGM_NAME_UP || f == PGM_NAME_DOWN || f == PGM_NAME_DOTTED ||
			f == PGM_NAME_REPEATABLE ||
		/* V1_x.sql: a Flyway name but for the "__", said as such */
			((f == PGM_NAME_NOSEP || f == PGM_NAME_BADVERSION) && len > 1 &&
			 ((e->name[1] >= '0' && e->name[1] <= '9') || e->name[1] == '_')))
			return bit_of("flyway");
		if (pgm_format_wants_sniff(e->name))
		{
			if (e->sniff == 'd')
				return bit_of("dbmate");
			if (e->sniff == 'g')
				return bit_of("goose");
			return bit_of("sqlx") | bit_of("drizzle");
		}
	}
	return 0;
}

/* "a" (goose), "b" (sqlx or drizzle), ... for the entries that do not fit */
static char *
name_entries(PgmEntry *entries, uint32 *fits, int n, uint32 chosen_bit, int *count)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	*count = 0;
	for (i = 0; i < n; i++)
	{
		int			k;
		bool		first = true;

		if (fits[i] == 0 || (fits[i] & chosen_bit) != 0)
			continue;
		if (++*count > MAX_NAMED)
			continue;
		appendStringInfo(&buf, "%s\"%s\" is ", *count > 1 ? ", " : "", entries[i].name);
		for (k = 0; k < pgm_nformats; k++)
			if (fits[i] & ((uint32) 1 << k))
			{
				appendStringInfo(&buf, "%s%s", first ? "" : " or ", pgm_formats[k]->name);
				first = false;
			}
		appendStringInfoString(&buf, "'s");
	}
	if (*count > MAX_NAMED)
		appendStringInfo(&buf, " and %d more", *count - MAX_NAMED);
	return buf.data;
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const PgmEntry *) a)->name, ((const PgmEntry *) b)->name);
}

const PgmFormat *
pgm_format_detect(const char *path, PgmEntry *entries, int n, const PgmFormat *forced)
{
	uint32	   *fits = palloc0(sizeof(uint32) * Max(n, 1));
	uint32		common = ~(uint32) 0;
	bool		telling = false;
	const PgmFormat *chosen = NULL;
	int			i;
	int			odd;
	char	   *named;

	/* name the entries in a stable order */
	qsort(entries, n, sizeof(PgmEntry), entry_cmp);
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		fits[i] = entry_fits(&entries[i]);
		if (fits[i] != 0)
		{
			common &= fits[i];
			telling = true;
		}
	}

	if (forced != NULL)
	{
		/*
		 * A file name the forced format refuses is reported by its listing,
		 * with the format's own naming rule; only entries it would take or
		 * pass over are named here.
		 */
		if (forced->layout == PGM_LAYOUT_FILES)
			for (i = 0; i < n; i++)
			{
				PgmNameKind kind;

				if (fits[i] == 0 || entries[i].is_dir)
					continue;
				kind = forced->classify(entries[i].name, strlen(entries[i].name)).kind;
				if (kind != PGM_NAME_IGNORED && kind != PGM_NAME_UP && kind != PGM_NAME_DOWN)
					fits[i] = 0;
			}
		named = name_entries(entries, fits, n, (uint32) 1 << format_index(forced), &odd);
		if (odd > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("migration folder \"%s\" is not a %s folder", path, forced->name),
					 errdetail_plural("This entry does not fit the %s format: %s.",
									  "These entries do not fit the %s format: %s.",
									  odd, forced->name, named),
					 errhint("Give the folder's own format, or leave the format unset (pg_migrate.format) to detect it.")));
		pfree(fits);
		return forced;
	}

	if (!telling)
		chosen = pgm_format_golang();
	else if (common != 0)
	{
		const PgmFormat *candidates[32];
		int			ncand = 0;

		for (i = 0; i < pgm_nformats; i++)
			if (common & ((uint32) 1 << i))
				candidates[ncand++] = pgm_formats[i];
		chosen = candidates[0];
		if (ncand > 1 && pgm_format_choice_hook != NULL)
		{
			const PgmFormat *pick = pgm_format_choice_hook(path, candidates, ncand);

			for (i = 0; i < ncand; i++)
				if (candidates[i] == pick)
					chosen = pick;
		}
	}
	else
	{
		/* mixed: the format most entries fit; the others are the odd ones */
		int			best = 0;
		int			best_count = -1;
		int			k;

		for (k = 0; k < pgm_nformats; k++)
		{
			int			count = 0;

			for (i = 0; i < n; i++)
				if (fits[i] & ((uint32) 1 << k))
					count++;
			if (count > best_count)
			{
				best = k;
				best_count = count;
			}
		}
		named = name_entries(entries, fits, n, (uint32) 1 << best, &odd);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration folder \"%s\" mixes the formats of several tools", path),
				 errdetail_plural("%d of its entries is a %s migration; %s.",
								  "%d of its entries are %s migrations; %s.",
								  best_count, best_count, pgm_formats[best]->name, named),
				 errhint("Keep one tool's migrations in a folder; move the others out, or convert them.")));
	}
	pfree(fits);
	return chosen;
}
