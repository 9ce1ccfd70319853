/*-------------------------------------------------------------------------
 *
 * lint.c
 *	  Rules over a migration's parse trees.
 *
 * Each rule looks at one statement's raw parse tree and returns findings
 * (problems.h) with a stable rule id, a severity, the SQLSTATE it is raised
 * with, the line and column, and the safe recipe as a hint.  The apply
 * paths enforce the error-severity findings before anything runs
 * (pgm_lint_enforce); migrate_validate lists them.
 *
 * Transaction control is refused because each migration runs as one unit
 * (its own transaction, or statement by statement for no-transaction
 * files): a COMMIT inside would break all-or-nothing.  COPY from or to the
 * client is refused because there is no client.  These two refusals always
 * apply.
 *
 * The other rules (lint_rules.c, with lint_catalog.c for table sizes and
 * lint_suppress.c for lint-ignore comments) say which statement takes
 * which lock on which table; migrate_lint lists them, with the traced dry
 * run of lint_trace.c on request, and pg_migrate.lint makes the apply
 * paths warn about them or refuse a file with an error-severity finding.
 *
 * IDENTIFICATION
 *	  src/lint.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "lint.h"
#include "lint_catalog.h"
#include "lint_rules.h"
#include "lint_trace.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "plan.h"
#include "utils/guc.h"

/* pg_migrate.lint */
typedef enum PgmLintMode
{
	PGM_LINT_OFF,
	PGM_LINT_WARN,
	PGM_LINT_ERROR
} PgmLintMode;

static const struct config_enum_entry lint_modes[] = {
	{"off", PGM_LINT_OFF, false},
	{"warn", PGM_LINT_WARN, false},
	{"error", PGM_LINT_ERROR, false},
	{NULL, 0, false}
};

static int	lint_mode = PGM_LINT_OFF;
static int	lint_big_table_kb = 10 * 1024;

struct PgmLint
{
	PgmLintMode mode;
	PgmLintCatalog *cat;
	bool		guc_lock_timeout;
};

void
pgm_lint_init(void)
{
	DefineCustomEnumVariable("pg_migrate.lint",
							 "Sets what applying migrations does with lint findings.",
							 "off: nothing; warn: a WARNING per finding; error: also refuse a migration with an error-severity finding, before anything runs.",
							 &lint_mode,
							 PGM_LINT_OFF,
							 lint_modes,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("pg_migrate.lint_big_table",
							"Sets the size on disk from which lint counts a table as big.",
							"A dangerous statement on a big table is an error, on a smaller one a warning.",
							&lint_big_table_kb,
							10 * 1024,
							0,
							INT_MAX,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);
}


/* Is pg_migrate.lock_timeout (the workers' lock_timeout) set? */
static bool
guc_lock_timeout_set(void)
{
	const char *value = GetConfigOption("pg_migrate.lock_timeout", true, false);

	return value != NULL && strcmp(value, "0") != 0;
}

static PgmLint *
lint_create(PgmLintMode mode)
{
	PgmLint    *lint = palloc0(sizeof(PgmLint));

	lint->mode = mode;
	lint->cat = pgm_lint_catalog_create((int64) lint_big_table_kb * 1024);
	lint->guc_lock_timeout = guc_lock_timeout_set();
	return lint;
}

PgmLint *
pgm_lint_start(const char *mode)
{
	int			m = lint_mode;

	if (mode != NULL)
	{
		const struct config_enum_entry *e;

		for (e = lint_modes; e->name != NULL; e++)
		{
			if (pg_strcasecmp(e->name, mode) == 0)
				break;
		}
		if (e->name == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid lint mode \"%s\"", mode),
					 errhint("Use \"off\", \"warn\" or \"error\", or NULL for pg_migrate.lint.")));
		m = e->val;
	}
	if (m == PGM_LINT_OFF)
		return NULL;
	return lint_create((PgmLintMode) m);
}

/* Refusals and rule findings of one file, merged in statement order. */
static List *
lint_file(PgmLintCatalog *cat, PgmScript *script, bool guc_lock_timeout)
{
	List	   *refusals = pgm_lint_script(script);
	List	   *rules = NIL;
	List	   *all = NIL;
	ListCell   *a;
	ListCell   *b;

	pgm_lint_rules_file(cat, script, guc_lock_timeout, &rules);
	if (refusals == NIL)
		return rules;
	a = list_head(refusals);
	b = list_head(rules);
	while (a != NULL || b != NULL)
	{
		if (b == NULL ||
			(a != NULL && ((PgmProblem *) lfirst(a))->line <= ((PgmProblem *) lfirst(b))->line))
		{
			all = lappend(all, lfirst(a));
			a = lnext(refusals, a);
		}
		else
		{
			all = lappend(all, lfirst(b));
			b = lnext(rules, b);
		}
	}
	return all;
}

void
pgm_lint_check(PgmLint *lint, PgmScript *script)
{
	ListCell   *lc;
	PgmProblem *refuse = NULL;

	if (lint == NULL)
		return;
	foreach(lc, lint_file(lint->cat, script, lint->guc_lock_timeout))
	{
		PgmProblem *p = (PgmProblem *) lfirst(lc);

		if (strcmp(p->severity, PGM_SEVERITY_IGNORED) == 0)
			continue;
		if (lint->mode == PGM_LINT_ERROR && refuse == NULL &&
			strcmp(p->severity, PGM_SEVERITY_ERROR) == 0)
		{
			refuse = p;
			continue;
		}
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg_internal("%s [%s, %s]", p->problem, p->rule, p->severity),
				 errhint("%s", p->hint),
				 errcontext("migration file \"%s\", line %d, column %d: %s",
							p->file, p->line, p->column, p->excerpt)));
	}
	if (refuse != NULL)
		ereport(ERROR,
				(errcode(refuse->sqlstate),
				 errmsg("migration file \"%s\" breaks lint rule \"%s\" at line %d",
						refuse->file, refuse->rule, refuse->line),
				 errdetail_internal("%s.", refuse->problem),
				 errhint("%s To go ahead anyway, add -- pg_migrate:lint-ignore %s on the line before the statement, or apply with pg_migrate.lint set to \"warn\".",
						 refuse->hint, refuse->rule),
				 errcontext("migration file \"%s\", line %d, column %d: %s",
							refuse->file, refuse->line, refuse->column, refuse->excerpt)));
}

List *
pgm_lint_folder(const char *dir, bool pending_only, bool trace)
{
	MemoryContext caller = CurrentMemoryContext;
	PgmLint    *lint = lint_create(PGM_LINT_WARN);
	List	   *findings = NIL;
	PgmFolder  *folder;
	PgmFile   **files;
	PgmScript **scripts;
	int			nscripts = 0;
	int			k;
	static const PgmFailHints hints = {
		.fix = "Fix the migration file.",
	};

	folder = pgm_folder_scan(dir, NULL);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(caller);

	files = palloc0(sizeof(PgmFile *) * Max(folder->nfiles + folder->nrepeatables, 1));
	scripts = palloc0(sizeof(PgmScript *) * Max(folder->nfiles + folder->nrepeatables, 1));
	if (pending_only)
	{
		PgmPlan    *plan;

		for (k = 0; k < folder->nfiles; k++)
			pgm_file_checksum(folder, &folder->files[k]);
		for (k = 0; k < folder->nrepeatables; k++)
			pgm_file_checksum(folder, &folder->repeatables[k]);
		plan = pgm_plan_read(folder);
		for (k = 0; k < pgm_plan_count(plan); k++)
		{
			PgmPlanItem *item = pgm_plan_item(plan, k);

			if (item->file != NULL &&
				(item->state == PGM_STATE_PENDING || item->state == PGM_STATE_OUT_OF_ORDER ||
				 item->state == PGM_STATE_FAILED))
				files[nscripts++] = item->file;
		}
	}
	else
	{
		for (k = 0; k < folder->nfiles; k++)
			files[nscripts++] = &folder->files[k];
		/* run after the versioned ones */
		for (k = 0; k < folder->nrepeatables; k++)
			files[nscripts++] = &folder->repeatables[k];
	}

	for (k = 0; k < nscripts; k++)
	{
		CHECK_FOR_INTERRUPTS();
		pgm_file_load(folder, files[k]);
		scripts[k] = pgm_script_parse(files[k], &hints);
		findings = list_concat(findings, lint_file(lint->cat, scripts[k], lint->guc_lock_timeout));
		if (!trace)
			pgm_file_release(files[k]);
	}

	if (trace)
		pgm_lint_trace(pgm_lint_catalog_create(lint->cat->big_bytes), scripts, nscripts,
					   &findings);

	k = SPI_finish();
	if (k != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(k));
	return findings;
}
