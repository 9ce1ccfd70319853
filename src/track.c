/*-------------------------------------------------------------------------
 *
 * track.c
 *	  What a tool's tracking table says, and the one rule for changing it.
 *
 * The rule exists once, here, for every path that applies migrations (the
 * caller's transaction, the worker, jobs): see pgm_track_flush in track.h.
 * Three properties follow from it, each tested in t/008_tracking_rule.pl:
 *	 - a call that applies nothing never writes (a call with a lower target
 *	   cannot clean a failed version);
 *	 - a dirty version stays dirty until that very version is applied, so the
 *	   plan never reads it back as clean and baselines it without running it;
 *	 - the version written never goes below a clean version another tool
 *	   set (golang-migrate run against a folder with more files).
 * The in-flight mark (pgm_track_begin) is written before each migration
 * and is not a write in the rule's sense: when the rule writes nothing, the
 * table is put back as it was read, so a call that applies nothing
 * observable still leaves the table as it found it.
 *
 * IDENTIFICATION
 *	  src/track.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "format.h"
#include "track.h"
#include "utils/timestamp.h"

extern PgmTracker pgm_tracker_golang;
extern const PgmTracker pgm_tracker_sqlx;
extern const PgmTracker pgm_tracker_goose;
extern const PgmTracker pgm_tracker_dbmate;
extern const PgmTracker pgm_tracker_flyway;
extern const PgmTracker pgm_tracker_diesel;
extern const PgmTracker pgm_tracker_prisma;
extern const PgmTracker pgm_tracker_drizzle;
extern void pgm_track_golang_init(void);
extern void pgm_track_choice_init(void);

/* The run's tracker (pgm_track_select); NULL: golang-migrate's. */
static const PgmTracker *selected = NULL;

const PgmTracker *
pgm_tracker(void)
{
	return selected ? selected : &pgm_tracker_golang;
}

const PgmTracker *
pgm_tracker_for_format(const PgmFormat *format)
{
	static const struct
	{
		const char *format;
		const PgmTracker *tracker;
	}			by_format[] =
	{
		{"sqlx", &pgm_tracker_sqlx},
		{"goose", &pgm_tracker_goose},
		{"dbmate", &pgm_tracker_dbmate},
		{"flyway", &pgm_tracker_flyway},
		{"diesel", &pgm_tracker_diesel},
		{"prisma", &pgm_tracker_prisma},
		{"drizzle", &pgm_tracker_drizzle},
	};
	int			i;

	if (format != NULL)
		for (i = 0; i < lengthof(by_format); i++)
			if (strcmp(format->name, by_format[i].format) == 0)
				return by_format[i].tracker;
	return &pgm_tracker_golang;
}

void
pgm_track_select(const PgmFormat *format)
{
	selected = pgm_tracker_for_format(format);
}

void
pgm_track_init(void)
{
	pgm_track_golang_init();
	pgm_track_choice_init();
}

void
pgm_track_read(PgmTracked *t)
{
	const PgmTracker *tracker = t->tracker ? t->tracker : &pgm_tracker_golang;
	const struct PgmFolder *folder = t->folder;

	memset(t, 0, sizeof(PgmTracked));
	t->tracker = tracker;
	t->folder = folder;
	tracker->read(t);
}

bool
pgm_track_is_applied(const PgmTracked *t, int64 version)
{
	int			lo = 0;
	int			hi = t->napplied - 1;

	if (!t->exists)
		return false;
	if (!t->exact)
		return t->has_upto &&
			(version < t->upto || (version == t->upto && !pgm_track_is_dirty_at(t, version)));
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (t->applied[mid] == version)
			return true;
		if (t->applied[mid] < version)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
}

bool
pgm_track_is_dirty_at(const PgmTracked *t, int64 version)
{
	return t->exists && t->dirty && t->dirty_version == version;
}

void
pgm_track_note_applied(PgmTracked *t, int64 version)
{
	t->noted++;
	if (pgm_track_is_dirty_at(t, version))
		t->dirty_cleared = true;
}

void
pgm_track_begin(PgmTracked *t, int64 version)
{
	t->started = GetCurrentTimestamp();
	t->in_flight_steps = false;
	t->tracker->write_begin(t, version);
	t->in_flight = true;
	t->in_flight_version = version;
}

void
pgm_track_begin_steps(PgmTracked *t, int64 version)
{
	pgm_track_begin(t, version);
	t->in_flight_steps = true;
}

void
pgm_track_row(PgmTracked *t, struct PgmFile *file)
{
	int64		elapsed = 0;

	if (!t->tracker->per_migration)
		return;
	if (t->started != 0)
		elapsed = Max(GetCurrentTimestamp() - t->started, 0);
	t->tracker->write_row(t, file, elapsed);
	t->exists = true;
	t->started = 0;
	t->in_flight = false;
	t->in_flight_steps = false;
	t->in_flight_id = NULL;
}

/* The rule writes nothing: the table says again what it said when read. */
static void
flush_nothing(PgmTracked *t)
{
	if (t->in_flight)
		t->tracker->write_restore(t);
	t->in_flight = false;
}

void
pgm_track_flush(PgmTracked *t, bool has_applied, int64 max_applied)
{
	int64		version = max_applied;

	/* one row per migration: written as each ran (pgm_track_row) */
	if (t->tracker->per_migration)
	{
		t->in_flight = false;
		t->noted = 0;
		t->dirty_cleared = false;
		t->dirty_in_flight = false;
		return;
	}

	if (!has_applied)
	{
		flush_nothing(t);
		return;
	}
	if (t->noted == 0 && t->exists)
	{
		flush_nothing(t);		/* nothing ran: the table is as it was */
		return;
	}
	if (t->exists && t->dirty && !t->dirty_cleared)
	{
		flush_nothing(t);		/* the failed version has not run yet */
		return;
	}

	/* never lower a clean version another tool set above our files */
	if (t->exists && !t->dirty && t->has_upto && t->upto > version)
		version = t->upto;
	if (t->exists && !t->dirty && t->has_upto && t->upto == version)
	{
		flush_nothing(t);		/* already says so */
		return;
	}

	t->tracker->write_applied(t, version);
	t->noted = 0;
	t->dirty_cleared = false;
	t->dirty_in_flight = false;
	t->in_flight = false;
}

void
pgm_track_failed(PgmTracked *t, int64 version)
{
	t->tracker->write_failed(t, version);
	t->in_flight_steps = false;
	t->in_flight_id = NULL;
	t->noted = 0;
	t->dirty_cleared = false;
	t->dirty_in_flight = false;
	t->in_flight = false;
}

void
pgm_track_force(PgmTracked *t, int64 version)
{
	if (t->tracker->write_applied == NULL)
		elog(ERROR, "%s's table cannot be forced to a version", t->tracker->name);
	t->tracker->write_applied(t, version);
	t->noted = 0;
	t->dirty_cleared = false;
	t->dirty_in_flight = false;
	t->in_flight = false;
}

void
pgm_track_check_revert(const PgmTracker *tracker)
{
	if (tracker->write_reverted == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("migrate_down cannot record a revert in %s's table %s",
						tracker->name, tracker->table),
				 errdetail("%s records no down migrations in its table that pg_migrate could write as it would.",
						   tracker->name),
				 errhint("Revert with the tool itself, or write a new migration that undoes the change.")));
}

void
pgm_track_revert_begin(PgmTracked *t, int64 version, bool has_prev, int64 prev)
{
	/* per-row tools have no in-flight state for a revert */
	if (t->tracker->write_revert_begin == NULL)
		return;
	t->tracker->write_revert_begin(t, version, has_prev, prev);
	t->in_flight = true;
	t->in_flight_version = version;
}

void
pgm_track_reverted(PgmTracked *t, int64 version, bool has_prev, int64 prev)
{
	pgm_track_check_revert(t->tracker);
	t->tracker->write_reverted(t, version, has_prev, prev);
	t->noted = 0;
	t->dirty_cleared = false;
	t->dirty_in_flight = false;
	t->in_flight = false;
}
