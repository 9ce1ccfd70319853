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

#include "track.h"

extern PgmTracker pgm_tracker_golang;
extern void pgm_track_golang_init(void);

const PgmTracker *
pgm_tracker(void)
{
	return &pgm_tracker_golang;
}

void
pgm_track_init(void)
{
	pgm_track_golang_init();
}

void
pgm_track_read(PgmTracked *t)
{
	const PgmTracker *tracker = t->tracker ? t->tracker : pgm_tracker();

	memset(t, 0, sizeof(PgmTracked));
	t->tracker = tracker;
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
	t->tracker->write_begin(t, version);
	t->in_flight = true;
	t->in_flight_version = version;
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
	t->noted = 0;
	t->dirty_cleared = false;
	t->dirty_in_flight = false;
	t->in_flight = false;
}

void
pgm_track_force(PgmTracked *t, int64 version)
{
	t->tracker->write_applied(t, version);
	t->noted = 0;
	t->dirty_cleared = false;
	t->dirty_in_flight = false;
	t->in_flight = false;
}

void
pgm_track_revert_begin(PgmTracked *t, int64 version, bool has_prev, int64 prev)
{
	t->tracker->write_revert_begin(t, version, has_prev, prev);
	t->in_flight = true;
	t->in_flight_version = version;
}

void
pgm_track_reverted(PgmTracked *t, int64 version, bool has_prev, int64 prev)
{
	t->tracker->write_reverted(t, version, has_prev, prev);
	t->noted = 0;
	t->dirty_cleared = false;
	t->dirty_in_flight = false;
	t->in_flight = false;
}
