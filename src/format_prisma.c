/*-------------------------------------------------------------------------
 *
 * format_prisma.c
 *	  Prisma Migrate's migrations: one folder per migration,
 *	  <timestamp>_<name>/migration.sql, and migration_lock.toml beside
 *	  them.
 *
 * Prisma orders migration folders by name and runs migration.sql of each
 * (there is no down migration).  prisma migrate dev names them
 * <YYYYMMDDHHMMSS>_<name>; pg_migrate keys a migration by the leading
 * digits and refuses other folder names (a hand-made "init" folder would
 * otherwise sort apart from the rest).
 *
 * No server headers (see format_text.h).
 *
 * IDENTIFICATION
 *	  src/format_prisma.c
 *
 *-------------------------------------------------------------------------
 */
#include "format_text.h"

#include <string.h>

PgmName
pgm_prisma_parse_dir(const char *name, size_t len)
{
	PgmName		r;
	size_t		ndig;
	int			overflow;

	memset(&r, 0, sizeof(r));
	if (len == 0 || name[0] == '.')
		return r;				/* PGM_NAME_IGNORED */
	r.kind = PGM_NAME_INVALID;
	ndig = pgm_read_digits(name, len, &r.version, &overflow);
	if (ndig == 0 || ndig + 1 >= len || name[ndig] != '_')
	{
		r.version = 0;
		return r;
	}
	if (overflow)
	{
		r.kind = PGM_NAME_OVERFLOW;
		r.version = 0;
		return r;
	}
	r.kind = PGM_NAME_UP;
	r.ver_start = 0;
	r.ver_len = ndig;
	r.desc_start = ndig + 1;
	r.desc_len = len - (ndig + 1);
	return r;
}
