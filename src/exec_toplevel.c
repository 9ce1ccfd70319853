/*-------------------------------------------------------------------------
 *
 * exec_toplevel.c
 *	  Execute a statement with top-level semantics, as exec_simple_query
 *	  does for a client.
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
 * IDENTIFICATION
 *	  src/exec_toplevel.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "parser/analyze.h"
#include "tcop/dest.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "exec_toplevel.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"

void
pgm_exec_toplevel(RawStmt *raw, const char *query_string, MemoryContext cxt)
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

	portal = CreatePortal("", true, true);
	portal->visible = false;
	PortalDefineQuery(portal, NULL, query_string, tag, plantrees, NULL);
	PortalStart(portal, NULL, 0, InvalidSnapshot);
	receiver = CreateDestReceiver(DestNone);
	MemoryContextSwitchTo(oldcontext);

	(void) PortalRun(portal, FETCH_ALL, true, true, receiver, receiver, &qc);

	receiver->rDestroy(receiver);
	PortalDrop(portal, false);
}
