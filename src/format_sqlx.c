/*-------------------------------------------------------------------------
 *
 * format_sqlx.c
 *	  sqlx's migration files: <version>_<description>.sql (irreversible),
 *	  or <version>_<description>.up.sql and .down.sql (reversible).
 *
 * As sqlx reads them (sqlx-core/src/migrate/source.rs, migration_type.rs):
 * the version is the i64 before the first "_"; ".up.sql" and ".down.sql"
 * make a reversible pair, any other ".sql" an irreversible migration; a
 * file whose text starts with "-- no-transaction" runs outside a
 * transaction.  sqlx skips names without "_" silently; pg_migrate reports
 * them, as it does for every tool, so a typo never skips a migration.  A
 * byte order mark before "-- no-transaction" is skipped (sqlx would run
 * the file in a transaction and fail on CREATE INDEX CONCURRENTLY).
 *
 * No server headers (see format_text.h).
 *
 * IDENTIFICATION
 *	  src/format_sqlx.c
 *
 *-------------------------------------------------------------------------
 */
#include "format_text.h"

#include <string.h>

int
pgm_sqlx_reversible(const char *name, size_t len)
{
	return pgm_ends_with(name, len, ".up.sql", 0) || pgm_ends_with(name, len, ".down.sql", 0);
}

PgmName
pgm_sqlx_parse_name(const char *name, size_t len)
{
	PgmName		r;

	/* the reversible form is golang-migrate's */
	if (pgm_ends_with(name, len, ".up.sql", 1) || pgm_ends_with(name, len, ".down.sql", 1))
		return pgm_parse_name(name, len);
	r = pgm_single_parse_name(name, len);
	return r;
}

int
pgm_sqlx_no_transaction(const char *body, size_t len)
{
	static const char marker[] = "-- no-transaction";
	size_t		at = pgm_skip_bom(body, len);

	return len - at >= sizeof(marker) - 1 &&
		memcmp(body + at, marker, sizeof(marker) - 1) == 0;
}
