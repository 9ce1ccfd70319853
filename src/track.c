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
 *
 * IDENTIFICATION
 *	  src/track.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "track.h"

extern const PgmTracker pgm_tracker_golang;

const PgmTracker *
pgm_tracker(void)
{
	return &pgm_tracker_golang;
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
pgm_track_flush(PgmTracked *t, bool has_applied, int64 max_applied)
{
	int64		version = max_applied;

	if (!has_applied)
		return;
	if (t->noted == 0 && t->exists)
		return;					/* nothing ran: the table is as it was */
	if (t->exists && t->dirty && !t->dirty_cleared)
		return;					/* the failed version has not run yet */

	/* never lower a clean version another tool set above our files */
	if (t->exists && !t->dirty && t->has_upto && t->upto > version)
		version = t->upto;
	if (t->exists && !t->dirty && t->has_upto && t->upto == version)
		return;					/* already says so */

	t->tracker->write_applied(t, version);
	t->noted = 0;
	t->dirty_cleared = false;
}

void
pgm_track_failed(PgmTracked *t, int64 version)
{
	t->tracker->write_failed(t, version);
	t->noted = 0;
	t->dirty_cleared = false;
}

void
pgm_track_force(PgmTracked *t, int64 version)
{
	t->tracker->write_applied(t, version);
	t->noted = 0;
	t->dirty_cleared = false;
}
