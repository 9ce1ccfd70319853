/*-------------------------------------------------------------------------
 *
 * exec_toplevel.c
 *	  Execute a statement with top-level semantics, as exec_simple_query
 *	  does for a client, and scope what such statements change in the
 *	  session to their migration.
 *
 * SPI always runs statements as if inside a function (isTopLevel = false),
 * and PreventInTransactionBlock() then refuses CREATE INDEX CONCURRENTLY,
 * VACUUM and friends.  The background worker runs such migrations one
 * statement per transaction command through an unnamed portal, exactly as
 * postgres.c does: analyze and plan under a snapshot if needed, then
 * PortalRun with isTopLevel = true.  Statements like CREATE INDEX
 * CONCURRENTLY commit and start transactions themselves inside that.
 *
 * The query text given to the portal is the whole file, so the parser's
 * positions are file offsets (errors map straight to lines).
 *
 * Relations a statement creates are noted through object_access_hook while
 * it runs, so that the caller can find the INVALID index a failed CREATE
 * INDEX CONCURRENTLY (or REINDEX CONCURRENTLY) committed in its first
 * transaction, whatever name it was given.  The hook is installed only for
 * the duration of one statement and chains to any other.
 *
 * Settings: each statement commits, so a SET in a no-transaction migration
 * is a session-level change that would outlive the migration.  The
 * session's settings are recorded before the migration (value, source,
 * the context and role that set it) and every one that changed is put
 * back after it: a setting the session had SET gets that value again, one
 * it had not is RESET.  The per-transaction ones (transaction_isolation,
 * transaction_read_only, transaction_deferrable) are left alone: every
 * transaction starts from the defaults anyway.  Other session state
 * (temporary tables, prepared statements, cursors WITH HOLD, LISTEN,
 * advisory locks taken by the migration) is not settings and is not put
 * back; DISCARD ALL, which would reset all of it including the worker's own
 * migration lock, is refused (exec_spi.c).
 *
 * IDENTIFICATION
 *	  src/exec_toplevel.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "parser/analyze.h"
#include "tcop/dest.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "exec_toplevel.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"

/* ---------- relations created by a statement ---------- */

static object_access_hook_type prev_object_access_hook = NULL;
static List **capture_list = NULL;
static MemoryContext capture_cxt = NULL;

static void
capture_created(ObjectAccessType access, Oid classId, Oid objectId, int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);
	if (capture_list != NULL && access == OAT_POST_CREATE &&
		classId == RelationRelationId && subId == 0)
	{
		MemoryContext oldcontext = MemoryContextSwitchTo(capture_cxt);

		*capture_list = lappend_oid(*capture_list, objectId);
		MemoryContextSwitchTo(oldcontext);
	}
}

static void
run_portal(RawStmt *raw, const char *query_string, MemoryContext cxt)
{
	CommandTag	tag = CreateCommandTag(raw->stmt);
	bool		snapshot_set = false;
	List	   *querytrees;
	List	   *plantrees;
	Portal		portal;
	DestReceiver *receiver;
	QueryCompletion qc;
	MemoryContext oldcontext;

	if (analyze_requires_snapshot(raw))
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		snapshot_set = true;
	}

	oldcontext = MemoryContextSwitchTo(cxt);
	querytrees = pg_analyze_and_rewrite_fixedparams(raw, query_string, NULL, 0, NULL);
	plantrees = pg_plan_queries(querytrees, query_string, CURSOR_OPT_PARALLEL_OK, NULL);

	/* a new snapshot for execution, taken after the locks (postgres.c) */
	if (snapshot_set)
		PopActiveSnapshot();
	CHECK_FOR_INTERRUPTS();

	/*
	 * A portal of its own name: in migrate_run the unnamed one is the
	 * CALL's, active.
	 */
	portal = CreateNewPortal();
	portal->visible = false;
	PortalDefineQuery(portal, NULL, query_string, tag, plantrees, NULL);
	PortalStart(portal, NULL, 0, InvalidSnapshot);
	receiver = CreateDestReceiver(DestNone);
	MemoryContextSwitchTo(oldcontext);

	(void) PortalRun(portal, FETCH_ALL, true, true, receiver, receiver, &qc);

	receiver->rDestroy(receiver);
	PortalDrop(portal, false);
}

void
pgm_exec_toplevel(RawStmt *raw, const char *query_string, MemoryContext cxt,
				  List **created)
{
	if (created == NULL)
	{
		run_portal(raw, query_string, cxt);
		return;
	}

	Assert(capture_list == NULL);
	if (object_access_hook != capture_created)
	{
		prev_object_access_hook = object_access_hook;
		object_access_hook = capture_created;
	}
	capture_list = created;
	capture_cxt = cxt;
	PG_TRY();
	{
		run_portal(raw, query_string, cxt);
	}
	PG_FINALLY();
	{
		capture_list = NULL;
		capture_cxt = NULL;
		/* a library the statement loaded may have chained to us: stay then */
		if (object_access_hook == capture_created)
			object_access_hook = prev_object_access_hook;
	}
	PG_END_TRY();
}

/* ---------- the session's settings around a migration ---------- */

typedef struct SavedSetting
{
	const char *name;			/* the GUC's own name, which never moves */
	GucSource	source;
	GucContext	scontext;
	Oid			srole;
	char	   *value;			/* as set_config_option takes it */
} SavedSetting;

struct PgmSessionSettings
{
	int			n;
	SavedSetting *settings;		/* sorted by name, case-insensitively */
};

/* The current value in a form set_config_option accepts back; NULL: none. */
static char *
setting_text(struct config_generic *gconf)
{
	switch (gconf->vartype)
	{
		case PGC_BOOL:
			return pstrdup(*((struct config_bool *) gconf)->variable ? "on" : "off");
		case PGC_INT:
			return psprintf("%d", *((struct config_int *) gconf)->variable);
		case PGC_REAL:
			return psprintf("%.17g", *((struct config_real *) gconf)->variable);
		case PGC_STRING:
			{
				char	   *s = *((struct config_string *) gconf)->variable;

				return s ? pstrdup(s) : NULL;
			}
		case PGC_ENUM:
			{
				struct config_enum *conf = (struct config_enum *) gconf;

				return pstrdup(config_enum_lookup_by_value(conf, *conf->variable));
			}
	}
	return NULL;				/* keep compiler quiet */
}

static int
setting_cmp(const void *a, const void *b)
{
	return pg_strcasecmp(((const SavedSetting *) a)->name,
						 ((const SavedSetting *) b)->name);
}

/* Settings every transaction starts afresh: nothing to carry over. */
static bool
per_transaction(const struct config_generic *gconf)
{
	return pg_strncasecmp(gconf->name, "transaction_", 12) == 0;
}

PgmSessionSettings *
pgm_session_save(MemoryContext cxt)
{
	MemoryContext oldcontext = MemoryContextSwitchTo(cxt);
	struct config_generic **gucs = get_guc_variables();
	int			n = GetNumConfigOptions();
	PgmSessionSettings *saved = palloc(sizeof(PgmSessionSettings));
	int			i;

	saved->n = 0;
	saved->settings = palloc(sizeof(SavedSetting) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		struct config_generic *gconf = gucs[i];
		SavedSetting *s;

		if (per_transaction(gconf))
			continue;
		s = &saved->settings[saved->n++];
		s->name = gconf->name;
		s->source = gconf->source;
		s->scontext = gconf->scontext;
		s->srole = gconf->srole;
		s->value = setting_text(gconf);
	}
	qsort(saved->settings, saved->n, sizeof(SavedSetting), setting_cmp);
	MemoryContextSwitchTo(oldcontext);
	return saved;
}

static SavedSetting *
find_saved(PgmSessionSettings *saved, const char *name)
{
	SavedSetting key;

	key.name = name;
	return bsearch(&key, saved->settings, saved->n, sizeof(SavedSetting), setting_cmp);
}

/*
 * Puts one setting back as saved, if the migration changed it: a value the
 * session had SET is set again, with the context and role that set it; a
 * setting it had not SET (or one that did not exist yet) is RESET, which
 * also restores its source.
 */
static void
put_back(struct config_generic *gconf, SavedSetting *s, GucAction action)
{
	char	   *current;
	bool		changed;

	if (per_transaction(gconf))
		return;
	if (gconf->source != PGC_S_SESSION && (s == NULL || s->source != PGC_S_SESSION))
		return;					/* neither SET: defaults, files, ALTER ROLE */

	current = setting_text(gconf);
	changed = s == NULL || gconf->source != s->source ||
		gconf->scontext != s->scontext || gconf->srole != s->srole ||
		(current == NULL) != (s->value == NULL) ||
		(current != NULL && strcmp(current, s->value) != 0);
	if (current != NULL)
		pfree(current);
	if (!changed)
		return;

	if (s != NULL && s->source == PGC_S_SESSION)
		(void) set_config_option_ext(gconf->name, s->value ? s->value : "",
									 s->scontext, PGC_S_SESSION, s->srole,
									 action, true, 0, false);
	else
		(void) set_config_option_ext(gconf->name, NULL,
									 PGC_SUSET, PGC_S_SESSION, BOOTSTRAP_SUPERUSERID,
									 action, true, 0, false);
}

static void
put_back_all(PgmSessionSettings *saved, GucAction action)
{
	struct config_generic **gucs;
	int			n;
	int			i;

	/*
	 * The session user first: putting it back deactivates any SET ROLE,
	 * which the role setting then restores.
	 */
	gucs = get_guc_variables();
	n = GetNumConfigOptions();
	for (i = 0; i < n; i++)
		if (pg_strcasecmp(gucs[i]->name, "session_authorization") == 0)
			put_back(gucs[i], find_saved(saved, gucs[i]->name), action);

	/* setting one may define others (placeholders): look at the array again */
	gucs = get_guc_variables();
	n = GetNumConfigOptions();
	for (i = 0; i < n; i++)
		if (pg_strcasecmp(gucs[i]->name, "session_authorization") != 0)
			put_back(gucs[i], find_saved(saved, gucs[i]->name), action);
}

void
pgm_session_restore(PgmSessionSettings *saved)
{
	Assert(IsTransactionState());
	put_back_all(saved, GUC_ACTION_SET);
}

int
pgm_session_enter_saved(PgmSessionSettings *saved)
{
	int			nestlevel;

	Assert(IsTransactionState());
	nestlevel = NewGUCNestLevel();
	put_back_all(saved, GUC_ACTION_SAVE);
	return nestlevel;
}
