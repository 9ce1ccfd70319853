/*-------------------------------------------------------------------------
 *
 * history.h
 *	  What pg_migrate recorded: pgmigrate.history.
 *
 * IDENTIFICATION
 *	  src/history.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_HISTORY_H
#define PGM_HISTORY_H

#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "folder.h"

/* Values of pgmigrate.history.state */
#define PGM_HIST_APPLIED	"applied"
#define PGM_HIST_BASELINED	"baselined"
#define PGM_HIST_FAILED		"failed"
#define PGM_HIST_REVERTED	"reverted"
#define PGM_HIST_REPAIRED	"repaired"	/* checksum realigned: applied */
#define PGM_HIST_CLEARED	"cleared"	/* failed attempt cleared: pending */

/* The latest history row of one version. */
typedef struct PgmHistoryEntry
{
	int64		version;
	char	   *version_text;	/* as written; NULL if not recorded */
	char	   *name;
	char	   *state;
	char	   *checksum;		/* NULL if not recorded */
	TimestampTz applied_at;
	bool		has_duration;
	double		duration_ms;
} PgmHistoryEntry;

typedef struct PgmHistory
{
	int			n;
	PgmHistoryEntry *entries;	/* ascending version */

	/*
	 * Repeatable migrations (version PGM_VERSION_REPEATABLE): the latest row
	 * of each name, ascending by pgm_description_cmp.
	 */
	int			nrepeatables;
	PgmHistoryEntry *repeatables;
} PgmHistory;

/* A prepared INSERT into the history, valid until SPI_finish. */
typedef struct PgmHistoryWriter
{
	SPIPlanPtr	insert_plan;
	char	   *directory;
	char	   *applied_by;		/* NULL: the current role */
	char	   *note;			/* where a row came from (migrate_baseline),
								 * or NULL; set after pgm_history_writer_init */
} PgmHistoryWriter;

extern bool pgm_history_is_applied_state(const char *state);

/* All of these need an open SPI connection. */
extern PgmHistory *pgm_history_load(void);

/* The folder of the newest history row, NULL if none. */
extern char *pgm_history_last_directory(void);

extern void pgm_history_writer_init(PgmHistoryWriter *w, const char *directory,
									const char *applied_by);
/*
 * One history row.  file (NULL when the file is gone) gives the file name,
 * the checksum and the version as written (NULL for a repeatable one); duration_ms < 0 and error NULL
 * are recorded as NULL.
 */
extern void pgm_history_record(PgmHistoryWriter *w, const char *state, int64 version,
							   const char *name, const PgmFile *file,
							   double duration_ms, const char *error);

/*
 * "applied" rows collected during one migrate_apply call and written with
 * one INSERT at its end (same transaction): one executor run instead of one
 * per migration.
 */
typedef struct PgmHistoryBatch
{
	int			n;
	int			cap;
	Datum	   *versions;
	Datum	   *version_texts;
	Datum	   *names;
	Datum	   *files;
	Datum	   *checksums;
	Datum	   *durations;
	Datum	   *times;
} PgmHistoryBatch;

extern void pgm_history_batch_add(PgmHistoryBatch *batch, const PgmFile *file,
								  double duration_ms);
extern void pgm_history_batch_flush(PgmHistoryWriter *w, PgmHistoryBatch *batch);

#endif							/* PGM_HISTORY_H */
