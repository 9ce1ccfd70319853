/*-------------------------------------------------------------------------
 *
 * safe_sql.h
 *	  Run pg_migrate's own bookkeeping SQL where nobody else's objects can
 *	  reach it.
 *
 * IDENTIFICATION
 *	  src/safe_sql.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGM_SAFE_SQL_H
#define PGM_SAFE_SQL_H

/*
 * Pins search_path to "pg_catalog, pg_temp" until pgm_safe_sql_end: with
 * schema-qualified names this means no function, operator or type of a
 * schema another role controls is picked by the bookkeeping SQL.
 */
extern int	pgm_safe_sql_begin(void);
extern void pgm_safe_sql_end(int nestlevel);

/*
 * Touches a table another role may own (a tool's tracking table) as its
 * owner, in a security-restricted operation, with the pinned search_path:
 * the way VACUUM and ANALYZE run as the table's owner.  Its triggers, rules
 * and policies then run with the owner's rights, never the caller's.
 */
typedef struct PgmAsOwner
{
	Oid			save_userid;
	int			save_sec_context;
	int			nestlevel;
} PgmAsOwner;

extern void pgm_as_owner_begin(Oid relid, PgmAsOwner *save);
extern void pgm_as_owner_end(PgmAsOwner *save);

/* The same for pg_migrate's own table pgmigrate.<table>. */
extern void pgm_as_bookkeeping_owner_begin(const char *table, PgmAsOwner *save);

/* Internal error unless an SPI call returned what was expected. */
extern void pgm_spi_check(int rc, int expected, const char *what);

#endif							/* PGM_SAFE_SQL_H */
