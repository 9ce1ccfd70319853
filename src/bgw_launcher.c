/*-------------------------------------------------------------------------
 *
 * bgw_launcher.c
 *	  The launcher: keeps one scheduler running in pg_migrate.database.
 *
 * Registered statically while pg_migrate is preloaded, the launcher
 * connects to no database, only to the shared catalogs, like the logical
 * replication launcher.  It starts the scheduler in pg_migrate.database
 * when that database exists and accepts connections, warning at most every
 * five minutes when it does not (a database with ALLOW_CONNECTIONS false
 * would make the scheduler die at connection, again and again); and again
 * whenever the scheduler exits, but no sooner than every ten seconds, so
 * that a failing scheduler never crash-loops.  The postmaster restarts the
 * launcher itself after the same delay.
 *
 * The scheduler connects as the role pg_migrate.role names when that role
 * exists and may log in, and applies pg_migrate.directory as that role;
 * otherwise it connects as the bootstrap superuser, runs schedules only and
 * says why it applies no folder.  The launcher looks the role up each time
 * it wakes (at least every ten seconds, and on reload): when the role the
 * scheduler should connect as changed, it stops the scheduler and starts
 * it again at once as the new one.  A scheduler that stops before it
 * connected (the role lacks CONNECT, or hit a connection limit) is started
 * as the bootstrap superuser instead, with a warning, until the role
 * changes or five minutes pass: nothing dies at connection every ten
 * seconds.
 *
 * IDENTIFICATION
 *	  src/bgw_launcher.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "bgw_common.h"
#include "bgw_launcher.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

/* What the launcher reads from the shared catalogs. */
typedef struct LauncherTarget
{
	Oid			dboid;			/* pg_migrate.database; InvalidOid: missing */
	bool		allowconn;		/* its datallowconn */
	Oid			roleid;			/* pg_migrate.role if it may log in, or
								 * InvalidOid (the bootstrap superuser) */
} LauncherTarget;

void
pgm_launcher_register(void)
{
	BackgroundWorker worker;

	pgm_bgw_prepare(&worker, "pgm_launcher_main", "pg_migrate launcher");
	worker.bgw_restart_time = PGM_BGW_RESTART_DELAY_MS / 1000;
	RegisterBackgroundWorker(&worker);
}

/*
 * The launcher has no database, only shared catalogs, and right after a
 * start or crash their indexes may not be in the relation cache: scan the
 * heaps, as the logical replication launcher scans pg_subscription.
 */
static void
read_target(LauncherTarget *target)
{
	const char *role = pgm_bgw_role();
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	memset(target, 0, sizeof(LauncherTarget));
	StartTransactionCommand();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		if (strcmp(NameStr(db->datname), pgm_bgw_database()) == 0)
		{
			target->dboid = db->oid;
			target->allowconn = db->datallowconn;
			break;
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);

	if (role[0] != '\0')
	{
		rel = table_open(AuthIdRelationId, AccessShareLock);
		scan = table_beginscan_catalog(rel, 0, NULL);
		while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
		{
			Form_pg_authid authid = (Form_pg_authid) GETSTRUCT(tup);

			if (strcmp(NameStr(authid->rolname), role) == 0)
			{
				/* the scheduler says why when it cannot log in as it */
				if (authid->rolcanlogin)
					target->roleid = authid->oid;
				break;
			}
		}
		table_endscan(scan);
		table_close(rel, AccessShareLock);
	}
	CommitTransactionCommand();
}

/*
 * Starts the scheduler in dboid, connecting as roleid (InvalidOid: the
 * bootstrap superuser); NULL when no worker slot is free.
 */
static BackgroundWorkerHandle *
start_scheduler(Oid dboid, Oid roleid)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;

	pgm_bgw_prepare(&worker, "pgm_scheduler_main", "pg_migrate scheduler");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_migrate scheduler for database \"%s\"",
			 pgm_bgw_database());
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	StaticAssertStmt(sizeof(Oid) <= BGW_EXTRALEN, "an Oid must fit in bgw_extra");
	memcpy(worker.bgw_extra, &roleid, sizeof(Oid));
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		return NULL;
	return handle;
}

/* Warns, at most every five minutes, that the database cannot be used. */
static void
warn_database(PgmRateLimit *warned, const LauncherTarget *target)
{
	if (!OidIsValid(target->dboid))
	{
		if (pgm_should_warn(warned, "no database"))
			ereport(WARNING,
					(errcode(ERRCODE_UNDEFINED_DATABASE),
					 errmsg("database \"%s\" does not exist", pgm_bgw_database()),
					 errdetail("pg_migrate.database names the database the background worker applies migrations to. This warning repeats every five minutes."),
					 errhint("Create the database, or set pg_migrate.database and restart the server.")));
	}
	else if (pgm_should_warn(warned, "no connections"))
		ereport(WARNING,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("database \"%s\" does not allow connections", pgm_bgw_database()),
				 errdetail("pg_migrate.database names the database the background worker applies migrations to; the scheduler starts once it accepts connections. This warning repeats every five minutes."),
				 errhint("Run ALTER DATABASE %s ALLOW_CONNECTIONS true, or set pg_migrate.database and restart the server.",
						 quote_identifier(pgm_bgw_database()))));
}

/*
 * The scheduler started as roleid stopped before it connected (the role
 * lacks CONNECT on the database, or its connections are limited; the
 * server log has the FATAL): warned, at most every five minutes.
 */
static void
warn_no_connection(PgmRateLimit *warned, Oid roleid)
{
	if (pgm_should_warn(warned, "no connection"))
		ereport(WARNING,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("the pg_migrate scheduler could not connect to database \"%s\" as role \"%s\"",
						pgm_bgw_database(), pgm_bgw_role()),
				 errdetail("Until pg_migrate.role changes, or for five minutes, the scheduler connects as the bootstrap superuser, runs schedules and applies no folder. This warning repeats every five minutes."),
				 errhint("See the error logged before this warning; check the role's CONNECT privilege on the database and its connection limit.")));
}

void
pgm_launcher_main(Datum main_arg)
{
	BackgroundWorkerHandle *handle = NULL;
	Oid			started_roleid = InvalidOid;
	uint64		started_attaches = 0;
	bool		terminating = false;	/* stopped to connect as another role */
	Oid			failed_roleid = InvalidOid; /* could not connect as it ... */
	TimestampTz failed_until = 0;	/* ... so not tried again before */
	TimestampTz next_start = 0;
	PgmRateLimit warned_database;
	PgmRateLimit warned_slots;
	PgmRateLimit warned_connection;

	memset(&warned_database, 0, sizeof(warned_database));
	memset(&warned_slots, 0, sizeof(warned_slots));
	memset(&warned_connection, 0, sizeof(warned_connection));
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	for (;;)
	{
		LauncherTarget target;
		TimestampTz now;
		pid_t		pid;

		CHECK_FOR_INTERRUPTS();
		pgm_reload_config_if_asked(NULL);
		read_target(&target);
		now = GetCurrentTimestamp();

		if (handle != NULL &&
			GetBackgroundWorkerPid(handle, &pid) == BGWH_STOPPED)
		{
			pfree(handle);
			handle = NULL;
			if (!terminating && OidIsValid(started_roleid) &&
				pgm_bgw_attach_count() == started_attaches)
			{
				failed_roleid = started_roleid;
				failed_until = TimestampTzPlusMilliseconds(now, 5 * 60 * 1000);
				warn_no_connection(&warned_connection, started_roleid);
			}
			/* started no sooner than ten seconds after the last start */
			if (terminating)
				next_start = 0;
			terminating = false;
		}

		/* a role the scheduler could not connect as waits, unless changed */
		if (OidIsValid(target.roleid) && target.roleid == failed_roleid &&
			now < failed_until)
			target.roleid = InvalidOid;

		/*
		 * The role to connect as changed (pg_migrate.role reloaded, the role
		 * created, dropped, or its LOGIN changed): a scheduler connects as
		 * one role for its life, so start a new one now.
		 */
		if (handle != NULL && !terminating && target.roleid != started_roleid)
		{
			ereport(LOG,
					(errmsg("restarting the pg_migrate scheduler to connect as the role pg_migrate.role names")));
			TerminateBackgroundWorker(handle);
			terminating = true;
		}

		if (handle == NULL && now >= next_start)
		{
			if (!OidIsValid(target.dboid) || !target.allowconn)
				warn_database(&warned_database, &target);
			else
			{
				memset(&warned_database, 0, sizeof(warned_database));
				started_attaches = pgm_bgw_attach_count();
				handle = start_scheduler(target.dboid, target.roleid);
				started_roleid = target.roleid;
				if (handle == NULL && pgm_should_warn(&warned_slots, "no slot"))
					ereport(WARNING,
							(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
							 errmsg("out of background worker slots"),
							 errdetail("The scheduler for database \"%s\" could not be started.",
									   pgm_bgw_database()),
							 errhint("You might need to increase \"%s\".", "max_worker_processes")));
			}
			next_start = TimestampTzPlusMilliseconds(now, PGM_BGW_RESTART_DELAY_MS);
		}
		pgm_wait(PGM_BGW_RESTART_DELAY_MS, PG_WAIT_EXTENSION);
	}
}
