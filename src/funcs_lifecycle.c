/*-------------------------------------------------------------------------
 *
 * funcs_lifecycle.c
 *	  SQL-callable functions that move a database along its folder other
 *	  than forward: migrate_down, migrate_to and migrate_baseline.
 *
 * Thin wrappers, like funcs.c: check the caller and the arguments, run the
 * pipeline (revert.c, apply.c, baseline.c) in the caller's transaction and
 * return its rows through a materialized set.  They run as the caller,
 * like migrate_apply; the bookkeeping is written as its owners.
 *
 * IDENTIFICATION
 *	  src/funcs_lifecycle.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "apply.h"
#include "baseline.h"
#include "compat.h"
#include "fmgr.h"
#include "funcapi.h"
#include "funcs.h"
#include "policy.h"
#include "revert.h"
#include "utils/builtins.h"
#include "version_arg.h"

PG_FUNCTION_INFO_V1(migrate_down);
PG_FUNCTION_INFO_V1(migrate_to);
PG_FUNCTION_INFO_V1(migrate_to_text);
PG_FUNCTION_INFO_V1(migrate_baseline);
PG_FUNCTION_INFO_V1(migrate_baseline_text);

/* One row of migrate_to: the direction says which way it went. */
typedef struct ToArgs
{
	ReturnSetInfo *rsinfo;
	const char *direction;
} ToArgs;

static void
emit_row(int64 version, const char *name, double duration_ms, void *arg)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) arg;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	values[0] = Int64GetDatum(version);
	values[1] = CStringGetTextDatum(name);
	values[2] = Float8GetDatum(duration_ms);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

static void
emit_to_row(int64 version, const char *name, double duration_ms, void *arg)
{
	ToArgs	   *to = (ToArgs *) arg;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	values[0] = Int64GetDatum(version);
	values[1] = CStringGetTextDatum(name);
	values[2] = CStringGetTextDatum(to->direction);
	values[3] = Float8GetDatum(duration_ms);
	tuplestore_putvalues(to->rsinfo->setResult, to->rsinfo->setDesc, values, nulls);
}

static void
emit_baselined(int64 version, const char *name, double duration_ms, void *arg)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) arg;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	values[0] = Int64GetDatum(version);
	values[1] = CStringGetTextDatum(name);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* Not null; the bigint or text (a Flyway version) as the folder's key. */
static int64
version_argument(FunctionCallInfo fcinfo, int argno, bool is_text, const char *dir,
				 const char *hint)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("version must not be null"),
				 errhint("%s", hint)));
	return pgm_version_argument(fcinfo, argno, is_text, dir, true);
}

/*
 * migrate_down(dir text, steps integer DEFAULT 1)
 *	  RETURNS TABLE(version bigint, name text, duration_ms double precision)
 *
 * steps NULL reverts every applied migration; 0 reverts none.
 */
Datum
migrate_down(PG_FUNCTION_ARGS)
{
	PgmRevertOptions opts;
	char	   *dir;

	pgm_check_access();
	dir = pgm_folder_argument(fcinfo, 0);
	pgm_format_arg(fcinfo, 2);
	memset(&opts, 0, sizeof(opts));
	opts.all = PG_ARGISNULL(1);
	if (!opts.all)
	{
		opts.steps = PG_GETARG_INT32(1);
		if (opts.steps < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("steps must not be negative"),
					 errdetail("steps is how many of the newest applied migrations to revert."),
					 errhint("Give a positive number, or NULL to revert every applied migration.")));
	}

	pgm_check_primary();
	pgm_init_materialized_srf(fcinfo);
	pgm_revert_folder(dir, &opts, emit_row, fcinfo->resultinfo);
	return (Datum) 0;
}

/*
 * migrate_to(dir text, version bigint)
 *	  RETURNS TABLE(version bigint, name text, direction text,
 *					duration_ms double precision)
 *
 * Exactly version applied afterwards: every applied migration above it is
 * reverted (newest first), then every pending one up to it is applied, as
 * migrate_apply with that target would (its gate included).  Version 0 when
 * the folder has no migration 0: nothing applied.  One transaction, the
 * migration lock held throughout.  migrate_to_text: the overload whose
 * version is text (a Flyway version, '1.10').
 */
static Datum
to_common(FunctionCallInfo fcinfo, bool is_text)
{
	PgmRevertOptions down;
	PgmPlanOptions up;
	ToArgs		to;
	char	   *dir;
	int64		version;

	pgm_check_access();
	dir = pgm_folder_argument(fcinfo, 0);
	pgm_format_arg(fcinfo, 2);
	version = version_argument(fcinfo, 1, is_text, dir,
							   "Give the version of a migration file of the folder, or 0 for none applied.");

	pgm_check_primary();
	pgm_init_materialized_srf(fcinfo);
	to.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	/* checks the version under the lock, and holds the lock for the rest */
	memset(&down, 0, sizeof(down));
	down.has_to = true;
	down.to = version;
	to.direction = "down";
	pgm_revert_folder(dir, &down, emit_to_row, &to);

	memset(&up, 0, sizeof(up));
	up.has_target = true;
	up.target = version;
	to.direction = "up";
	pgm_apply_folder(dir, &up, emit_to_row, &to);
	return (Datum) 0;
}

/*
 * migrate_baseline(dir text, version bigint)
 *	  RETURNS TABLE(version bigint, name text)
 *
 * migrate_baseline_text: the overload whose version is text.
 */
static Datum
baseline_common(FunctionCallInfo fcinfo, bool is_text)
{
	char	   *dir;
	int64		version;

	pgm_check_access();
	dir = pgm_folder_argument(fcinfo, 0);
	pgm_format_arg(fcinfo, 2);
	version = version_argument(fcinfo, 1, is_text, dir,
							   "Give the version of the newest migration file whose changes the database already has.");
	pgm_check_primary();
	pgm_init_materialized_srf(fcinfo);
	pgm_baseline_folder(dir, version, emit_baselined, fcinfo->resultinfo);
	return (Datum) 0;
}

Datum
migrate_to(PG_FUNCTION_ARGS)
{
	return to_common(fcinfo, false);
}

Datum
migrate_to_text(PG_FUNCTION_ARGS)
{
	return to_common(fcinfo, true);
}

Datum
migrate_baseline(PG_FUNCTION_ARGS)
{
	return baseline_common(fcinfo, false);
}

Datum
migrate_baseline_text(PG_FUNCTION_ARGS)
{
	return baseline_common(fcinfo, true);
}
