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

/* Internal error unless an SPI call returned what was expected. */
extern void pgm_spi_check(int rc, int expected, const char *what);

#endif							/* PGM_SAFE_SQL_H */
