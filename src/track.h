/*-------------------------------------------------------------------------
 *
 * track.h
 *	  A migration tool's own tracking table, kept exact so a team can switch
 *	  between pg_migrate and that tool at any time.
 *
 * A tracker knows its table (by name and columns), reads which versions
 * the table says are applied, writes what pg_migrate applied or failed in
 * the migration's own transaction, and knows the advisory-lock key the
 * tool itself takes, so the two exclude each other.
 *
 * What the table says is read into a PgmTracked: a set of applied
 * versions, exact for tools that keep one row per version, or implied
 * ("everything up to V") for golang-migrate's single row; plus the version
 * the table marks dirty (failed part-way), if any.
 *
 * A migration in flight: the tool makes its table say so before the
 * migration runs (golang-migrate: the table exists, and holds the version
 * with dirty = true), so migrations that alter the table, or read it, find
 * it as under the tool.  pgm_track_begin writes that; the state read stays
 * in the PgmTracked, and the one rule (pgm_track_flush) decides what the
 * table says once the migration is recorded, putting back what was read
 * when the rule writes nothing.
 *
 * IDENTIFICATION
 *	  src/track.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_TRACK_H
#define PGM_TRACK_H

#include "datatype/timestamp.h"

struct PgmTracker;
struct PgmFolder;
struct PgmFile;
struct PgmFormat;

typedef struct PgmTracked
{
	const struct PgmTracker *tracker;
	const char *table;			/* schema.table, for messages */
	const char *schema;			/* where the table is (read and written) */
	const char *relname;
	bool		exists;			/* the table exists */

	/*
	 * Applied versions.  exact: exactly the napplied versions listed
	 * (ascending).  Otherwise implied: every version below upto, and upto
	 * itself unless it is dirty; has_upto false means none (golang-migrate's
	 * NilVersion, an empty table).
	 */
	bool		exact;
	int			napplied;
	int64	   *applied;
	bool		has_upto;
	int64		upto;

	bool		dirty;			/* dirty_version failed part-way */
	int64		dirty_version;

	/*
	 * The dirty version is the in-flight mark of a run of ours that stopped
	 * part-way through a migration committing statement by statement
	 * (pgmigrate.progress has its row): not another tool's failure, and
	 * resumed rather than refused.  Set by the plan (plan.c).
	 */
	bool		dirty_in_flight;

	/* set by pgm_track_note_applied during a run */
	int			noted;
	bool		dirty_cleared;	/* dirty_version itself was applied */

	/* set by pgm_track_begin: the table holds our in-flight mark */
	bool		in_flight;
	int64		in_flight_version;

	/*
	 * Trackers that keep one row per migration (PgmTracker.per_migration):
	 * the folder read against (versions the tool keeps as text, file
	 * checksums), and the tool's checksum of each applied version as read
	 * (checksums[i] for applied[i], NULL when the row has none).
	 */
	const struct PgmFolder *folder;
	char	  **checksums;

	/*
	 * Repeatable migrations the tool ran (Flyway's, version NULL): the
	 * description and the tool's checksum (NULL if none) of each whose
	 * newest run succeeded, ascending by pgm_description_cmp.
	 */
	int			nrepeatables;
	char	  **repeatable_names;
	char	  **repeatable_checksums;
	TimestampTz started;		/* pgm_track_begin: when the migration began */
	bool		in_flight_steps;	/* the mark committed before the first
									 * statement (pgm_track_begin_steps) */
	const char *error;			/* the failure to record (Prisma's logs) */
	char	   *in_flight_id;	/* Prisma: the row of the migration in flight */
} PgmTracked;

typedef struct PgmTracker
{
	const char *name;			/* the tool, for messages */
	const char *table;			/* schema-qualified, for messages; follows
								 * pg_migrate.version_table (prefer
								 * PgmTracked.table, fixed for a run) */

	/*
	 * Reads the table into *t (t->tracker already set), refusing a table of
	 * the same name that is not the tool's (track_recognize.h).
	 */
	void		(*read) (PgmTracked *t);

	/*
	 * Makes the table say that version is in flight, as the tool does before
	 * running it (golang-migrate: (version, dirty = true)), creating it if
	 * missing.  Leaves the state read in *t as it was.
	 */
	void		(*write_begin) (PgmTracked *t, int64 version);

	/* Puts back what read found, over an in-flight mark. */
	void		(*write_restore) (PgmTracked *t);

	/*
	 * Makes the table say that everything up to version is applied, clean
	 * (golang-migrate's single row), creating it if missing.
	 */
	void		(*write_applied) (PgmTracked *t, int64 version);

	/* Makes the table say that version failed part-way. */
	void		(*write_failed) (PgmTracked *t, int64 version);

	/*
	 * Going down (migrate_down): what the tool's own down writes.  Before
	 * version's down migration runs, its in-flight mark (golang-migrate:
	 * (prev, dirty = true), or (-1, true) when nothing stays applied, its
	 * NilVersion); after it, version is no longer applied and prev, if
	 * has_prev, is the highest version that is (golang-migrate: (prev,
	 * false), or no row).  Creates the table if missing.
	 */
	void		(*write_revert_begin) (PgmTracked *t, int64 version,
									   bool has_prev, int64 prev);
	void		(*write_reverted) (PgmTracked *t, int64 version,
								   bool has_prev, int64 prev);

	/* The advisory-lock key the tool takes in this database. */
	int64		(*lock_key) (void);

	/*
	 * One row per migration (every tool but golang-migrate): write_applied
	 * and write_restore are not used; write_row records one migration that
	 * ran, in its transaction, elapsed_us after pgm_track_begin.  read
	 * fills an exact set (or an implied one, Drizzle).
	 */
	bool		per_migration;
	void		(*write_row) (PgmTracked *t, struct PgmFile *file, int64 elapsed_us);

	/*
	 * Does file (its bytes as pg_migrate read them) have the checksum the
	 * tool recorded?  NULL: the tool keeps no checksum.
	 */
	bool		(*file_matches) (PgmTracked *t, struct PgmFile *file, const char *recorded);
} PgmTracker;

/*
 * The tracker of the run in progress: the one pgm_track_select chose last
 * (golang-migrate's until then).  The migration lock is its tool's.
 */
extern const PgmTracker *pgm_tracker(void);

/* The tracker of a folder format's tool (NULL: golang-migrate's). */
extern const PgmTracker *pgm_tracker_for_format(const struct PgmFormat *format);

/* Makes format's tool's tracker the run's (pgm_tracker), before its lock. */
extern void pgm_track_select(const struct PgmFormat *format);

/* A migration that ran: its row (per_migration trackers), in its transaction. */
extern void pgm_track_row(PgmTracked *t, struct PgmFile *file);

/* Marks the in-flight state as committed before the first statement. */
extern void pgm_track_begin_steps(PgmTracked *t, int64 version);

/* Defines the trackers' settings (pg_migrate.version_table); from _PG_init. */
extern void pgm_track_init(void);

/* Reads the tracker's table; needs an open SPI connection. */
extern void pgm_track_read(PgmTracked *t);

/* Does the table say version is applied? */
extern bool pgm_track_is_applied(const PgmTracked *t, int64 version);

/* Is version the one the table marks dirty? */
extern bool pgm_track_is_dirty_at(const PgmTracked *t, int64 version);

/*
 * The one rule for advancing the table, in two steps inside the
 * transaction that applied the migrations:
 *	 pgm_track_note_applied for each migration that ran, then
 *	 pgm_track_flush with the highest version applied after the run (history
 *	 and adoption included).
 * The table is written only when a migration ran, or when it is missing
 * while the history has applied versions (a dropped table is recreated, not
 * read as a roll back).  A dirty version is cleared only by applying that
 * version; until then the table keeps saying it failed.  The version
 * written is never lower than a clean version another tool set.
 */
extern void pgm_track_note_applied(PgmTracked *t, int64 version);
extern void pgm_track_flush(PgmTracked *t, bool has_applied, int64 max_applied);

/*
 * Before a migration runs, in the transaction it starts in: the table says
 * version is in flight, as the tool would (see PgmTracker.write_begin).
 * pgm_track_flush or pgm_track_failed ends the in-flight mark; when the
 * rule writes nothing, flush puts back what the table said before.  Never
 * read back as the tool's own dirty flag: see PgmTracked.dirty_in_flight.
 */
extern void pgm_track_begin(PgmTracked *t, int64 version);

/* A failed migration: the table says it failed part-way. */
extern void pgm_track_failed(PgmTracked *t, int64 version);

/*
 * Going down is not the rule's: migrate_down (revert.c) writes, for each
 * migration it reverts, newest first, what the tool's own down writes
 * (PgmTracker.write_revert_begin before the down migration runs,
 * write_reverted after it), in the same transaction.  prev is the highest
 * version still applied afterwards (has_prev false: none).
 */
/* An ERROR (0A000) for a tool whose table pg_migrate cannot revert. */
extern void pgm_track_check_revert(const PgmTracker *tracker);

extern void pgm_track_revert_begin(PgmTracked *t, int64 version,
								   bool has_prev, int64 prev);
extern void pgm_track_reverted(PgmTracked *t, int64 version,
							   bool has_prev, int64 prev);

/* migrate_force: the table says version is applied, clean, whatever it said. */
extern void pgm_track_force(PgmTracked *t, int64 version);

#endif							/* PGM_TRACK_H */
