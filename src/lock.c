/*-------------------------------------------------------------------------
 *
 * lock.c
 *	  Serialise migration runs with golang-migrate's own advisory lock.
 *
 * golang-migrate takes pg_advisory_lock(key) with
 *   key = crc32_ieee(schema || '\0' || table || '\0' || database) * 1486364155
 * (uint32 arithmetic; schema "public", table "schema_migrations").  Taking
 * the same lock means pg_migrate, golang-migrate and Encore never migrate
 * one database at the same time.  Functions take it transaction-scoped, so
 * it is released exactly when their changes commit or roll back; the
 * background worker, which commits each migration, holds it session-scoped
 * for a whole run, as golang-migrate does.
 *
 * IDENTIFICATION
 *	  src/lock.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "lock.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/pg_crc.h"

#define GOLANG_MIGRATE_SALT 1486364155U

int64
pgm_lock_key(void)
{
	const char *parts[3] = {"public", "schema_migrations", NULL};
	pg_crc32	crc;
	int			i;

	parts[2] = get_database_name(MyDatabaseId);
	if (parts[2] == NULL)
		elog(ERROR, "pg_migrate: could not find the current database's name");

	INIT_TRADITIONAL_CRC32(crc);
	for (i = 0; i < 3; i++)
	{
		if (i > 0)
			COMP_TRADITIONAL_CRC32(crc, "", 1);	/* the '\0' separator */
		COMP_TRADITIONAL_CRC32(crc, parts[i], strlen(parts[i]));
	}
	FIN_TRADITIONAL_CRC32(crc);
	return (int64) (uint32) (crc * GOLANG_MIGRATE_SALT);
}

/* The tag pg_advisory_lock(bigint) and pg_advisory_xact_lock(bigint) use. */
static void
lock_tag(LOCKTAG *tag)
{
	int64		key = pgm_lock_key();

	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, (uint32) (key >> 32), (uint32) key, 1);
}

void
pgm_lock_session(void)
{
	LOCKTAG		tag;

	lock_tag(&tag);
	(void) LockAcquire(&tag, ExclusiveLock, true, false);
}

void
pgm_unlock_session(void)
{
	LOCKTAG		tag;

	lock_tag(&tag);
	(void) LockRelease(&tag, ExclusiveLock, true);
}

void
pgm_lock_xact(void)
{
	LOCKTAG		tag;

	lock_tag(&tag);

	if (LockAcquire(&tag, ExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL)
		return;

	(void) LockAcquire(&tag, ExclusiveLock, false, false);
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access due to a concurrent migration run"),
				 errdetail("Another session applied migrations in this database while this transaction waited, and this transaction's snapshot cannot see them."),
				 errhint("Retry the transaction, or call migrate_apply in a READ COMMITTED transaction.")));
}
