/*-------------------------------------------------------------------------
 *
 * track_rows.c
 *	  What the trackers that keep one row per migration share: their
 *	  table, the applied set read from it, and file bytes and digests.
 *
 * See track_rows.h.  The table is found by schema and name in the catalog
 * (no search_path), refused when its columns are not the tool's, created
 * with the tool's own DDL as the caller (who then owns it, as under the
 * tool) with a pinned search_path, and written as its owner in a
 * security-restricted operation, so its triggers, rules and policies never
 * run with the caller's rights.
 *
 * IDENTIFICATION
 *	  src/track_rows.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "safe_sql.h"
#include "track_rows.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

/* "pgmigr" in ASCII, the key pg_migrate takes for tools that take none */
#define PGM_OWN_LOCK_KEY INT64CONST(0x70676d696772)

char *
pgm_rows_qualified(const PgmToolTable *tt)
{
	return quote_qualified_identifier(tt->schema, tt->relname);
}

static Oid
table_relid(const PgmToolTable *tt)
{
	Oid			nsp = get_namespace_oid(tt->schema, true);

	return OidIsValid(nsp) ? get_relname_relid(tt->relname, nsp) : InvalidOid;
}

Oid
pgm_rows_locate(PgmTracked *t, const PgmToolTable *tt)
{
	t->schema = tt->schema;
	t->relname = tt->relname;
	t->table = psprintf("%s.%s", tt->schema, tt->relname);
	return table_relid(tt);
}

void
pgm_rows_check(const PgmToolTable *tt, Oid relid)
{
	char		relkind = get_rel_relkind(relid);
	char	   *display = psprintf("%s.%s", tt->schema, tt->relname);
	PgmTableShape shape;
	HeapTuple	tuple;
	bool		forced;

	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", display),
				 errdetail("%s keeps its migrations in a table; a view or other relation in its place is neither read nor written.",
						   tt->tool),
				 errhint("Drop or rename the relation \"%s\".", display)));

	shape = pgm_track_recognize(relid);
	if (shape != tt->shape)
	{
		char	   *columns = pgm_track_describe_columns(relid);

		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" is not %s's migration table", display, tt->tool),
				 errdetail("%s %s's are %s. %s",
						   columns ? psprintf(_("Its columns are %s;"), columns) :
						   _("It has no columns;"),
						   tt->tool, tt->columns,
						   shape == PGM_SHAPE_UNKNOWN ?
						   _("They match no migration tool that pg_migrate recognizes.") :
						   psprintf(_("They look like the version table of %s."),
									pgm_track_shape_name(shape))),
				 errhint("Rename the other table, or apply the folder with the format of the tool whose table it is (the format argument, or pg_migrate.format).")));
	}

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	forced = ((Form_pg_class) GETSTRUCT(tuple))->relrowsecurity &&
		((Form_pg_class) GETSTRUCT(tuple))->relforcerowsecurity;
	ReleaseSysCache(tuple);
	if (forced)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" has forced row security", display),
				 errdetail("Rows hidden from its owner would read as migrations not applied."),
				 errhint("ALTER TABLE %s NO FORCE ROW LEVEL SECURITY.", pgm_rows_qualified(tt))));
}

Oid
pgm_rows_ensure(PgmTracked *t, const PgmToolTable *tt)
{
	Oid			relid = table_relid(tt);
	Oid			nsp;
	int			nestlevel;
	int			rc;

	if (!OidIsValid(relid))
	{
		nsp = get_namespace_oid(tt->schema, true);
		nestlevel = pgm_safe_sql_begin();
		if (!OidIsValid(nsp) && tt->create_schema)
		{
			rc = SPI_execute(psprintf("CREATE SCHEMA IF NOT EXISTS %s",
									  quote_identifier(tt->schema)), false, 0);
			pgm_spi_check(rc, SPI_OK_UTILITY, "creating a migration tool's schema");
			CommandCounterIncrement();
			nsp = get_namespace_oid(tt->schema, true);
		}
		if (!OidIsValid(nsp))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_SCHEMA),
					 errmsg("schema \"%s\" does not exist", tt->schema),
					 errdetail("%s's table \"%s.%s\" is created there on first use.",
							   tt->tool, tt->schema, tt->relname),
					 errhint("Create the schema.")));
		if (pg_namespace_aclcheck(nsp, GetUserId(), ACL_CREATE) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to create table \"%s.%s\"", tt->schema, tt->relname),
					 errdetail("%s's table is created on first use, and role \"%s\" has no CREATE privilege on schema \"%s\".",
							   tt->tool, GetUserNameFromId(GetUserId(), false), tt->schema),
					 errhint("Grant CREATE on schema \"%s\" to the role, or create the table first as %s does.",
							 tt->schema, tt->tool)));
		rc = SPI_execute(psprintf(tt->create, pgm_rows_qualified(tt)), false, 0);
		if (rc < 0)
			elog(ERROR, "creating %s's table failed: %s", tt->tool, SPI_result_code_string(rc));
		if (tt->seed != NULL)
		{
			rc = SPI_execute(psprintf(tt->seed, pgm_rows_qualified(tt)), false, 0);
			pgm_spi_check(rc, SPI_OK_INSERT, "seeding a migration tool's table");
		}
		pgm_safe_sql_end(nestlevel);
		CommandCounterIncrement();
		relid = table_relid(tt);
	}
	pgm_rows_check(tt, relid);
	t->exists = true;
	return relid;
}

int
pgm_rows_exec(Oid relid, const char *sql, int nargs, Oid *types, Datum *values,
			  const char *nulls)
{
	MemoryContext caller = CurrentMemoryContext;
	PgmAsOwner	owner;
	int			rc;

	/* as the table's owner: its triggers and rules never run as us */
	pgm_as_owner_begin(relid, &owner);
	rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "writing a migration tool's table failed: %s", SPI_result_code_string(rc));
	pgm_as_owner_end(&owner);
	MemoryContextSwitchTo(caller);
	return rc;
}

void
pgm_rows_add(PgmTracked *t, int64 version, const char *checksum)
{
	if (t->napplied % 64 == 0)
	{
		int			cap = t->napplied + 64;

		t->applied = t->applied ? repalloc(t->applied, sizeof(int64) * cap) :
			palloc(sizeof(int64) * cap);
		t->checksums = t->checksums ? repalloc(t->checksums, sizeof(char *) * cap) :
			palloc(sizeof(char *) * cap);
	}
	t->applied[t->napplied] = version;
	t->checksums[t->napplied] = checksum ? pstrdup(checksum) : NULL;
	t->napplied++;
}

typedef struct VersionSum
{
	int64		version;
	char	   *checksum;
} VersionSum;

static int
version_sum_cmp(const void *a, const void *b)
{
	int64		va = ((const VersionSum *) a)->version;
	int64		vb = ((const VersionSum *) b)->version;

	return va < vb ? -1 : (va > vb ? 1 : 0);
}

void
pgm_rows_finish(PgmTracked *t)
{
	VersionSum *pairs;
	int			n = 0;
	int			i;

	t->exact = true;
	if (t->napplied == 0)
		return;
	pairs = palloc(sizeof(VersionSum) * t->napplied);
	for (i = 0; i < t->napplied; i++)
	{
		pairs[i].version = t->applied[i];
		pairs[i].checksum = t->checksums[i];
	}
	qsort(pairs, t->napplied, sizeof(VersionSum), version_sum_cmp);
	for (i = 0; i < t->napplied; i++)
	{
		if (n > 0 && pairs[n - 1].version == pairs[i].version)
			continue;			/* the first row read for a version wins */
		pairs[n++] = pairs[i];
	}
	for (i = 0; i < n; i++)
	{
		t->applied[i] = pairs[i].version;
		t->checksums[i] = pairs[i].checksum;
	}
	t->napplied = n;
	pfree(pairs);
}

PgmFile *
pgm_rows_file(const PgmTracked *t, int64 version)
{
	int			lo = 0;
	int			hi;

	if (t->folder == NULL)
		return NULL;
	hi = t->folder->nfiles - 1;
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		PgmFile    *f = &t->folder->files[mid];

		if (f->version == version)
			return f;
		if (f->version < version)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

bool
pgm_rows_leading_int(const char *s, int64 *version)
{
	uint64		v = 0;
	int			n = 0;

	for (; *s >= '0' && *s <= '9'; s++, n++)
	{
		if (v > (uint64) (PG_INT64_MAX - (*s - '0')) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	if (n == 0)
		return false;
	*version = (int64) v;
	return true;
}

/* The folder's migration whose version text is version, or NULL. */
static PgmFile *
file_by_text(const PgmTracked *t, const char *text, bool drop_dashes)
{
	int			i;

	if (t->folder == NULL)
		return NULL;
	for (i = 0; i < t->folder->nfiles; i++)
	{
		PgmFile    *f = &t->folder->files[i];
		const char *a = f->version_text;
		const char *b = text;

		for (;;)
		{
			if (drop_dashes && *a == '-')
			{
				a++;
				continue;
			}
			if (*a != *b || *a == '\0')
				break;
			a++;
			b++;
		}
		if (*a == '\0' && *b == '\0')
			return f;
	}
	return NULL;
}

bool
pgm_rows_select(PgmTracked *t, const PgmToolTable *tt, const char *sql,
				const char *what, PgmAsOwner *owner)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			relid = pgm_rows_locate(t, tt);
	int			rc;

	t->exists = OidIsValid(relid);
	if (!t->exists)
		return false;
	pgm_rows_check(tt, relid);

	pgm_as_owner_begin(relid, owner);
	rc = SPI_execute(psprintf(sql, pgm_rows_qualified(tt)), true, 0);
	pgm_spi_check(rc, SPI_OK_SELECT, what);
	/* SPI returns in its own context: the rows are read into the caller's */
	MemoryContextSwitchTo(caller);
	return true;
}

void
pgm_rows_select_end(PgmAsOwner *owner)
{
	MemoryContext caller = CurrentMemoryContext;

	SPI_freetuptable(SPI_tuptable);
	pgm_as_owner_end(owner);
	MemoryContextSwitchTo(caller);
}

/*
 * Reads a table of version texts (dbmate, diesel) into t: a version
 * matches the file whose version text it is (diesel: without its dashes);
 * one no file has is kept by its digits, as a missing file.
 */
void
pgm_track_read_texts(PgmTracked *t, const PgmToolTable *tt, bool drop_dashes)
{
	PgmAsOwner	owner;
	uint64		i;

	t->exact = true;
	if (!pgm_rows_select(t, tt, "SELECT version::pg_catalog.text FROM %s",
						 "reading a migration tool's table", &owner))
		return;
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *text = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		PgmFile    *f;
		int64		version;

		if (text == NULL)
			continue;
		f = file_by_text(t, text, drop_dashes);
		if (f != NULL)
			pgm_rows_add(t, f->version, NULL);
		else if (pgm_rows_leading_int(text, &version) && text[strspn(text, "0123456789")] == '\0' &&
				 pgm_rows_file(t, version) == NULL)
			pgm_rows_add(t, version, NULL);
	}
	pgm_rows_select_end(&owner);
	pgm_rows_finish(t);
}

char *
pgm_rows_sha_hex(int type, const char *buf, size_t len)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(type);
	uint8		digest[PG_SHA384_DIGEST_LENGTH];
	int			dlen = type == PG_SHA384 ? PG_SHA384_DIGEST_LENGTH : PG_SHA256_DIGEST_LENGTH;
	char	   *hex = palloc(dlen * 2 + 1);

	if (ctx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) buf, len) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute a checksum: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
	hex_encode((const char *) digest, dlen, hex);
	hex[dlen * 2] = '\0';
	return hex;
}

char *
pgm_rows_raw_bytes(PgmTracked *t, PgmFile *file, size_t *len)
{
	bool		loaded_here = false;
	char	   *raw;

	if (file->body == NULL)
	{
		pgm_file_load((PgmFolder *) t->folder, file);
		loaded_here = true;
	}
	raw = palloc(file->len + 1);
	memcpy(raw, file->body, file->len);
	raw[file->len] = '\0';
	*len = file->len;
	if (loaded_here)
		pgm_file_release(file);

	/* the body is the file's bytes with a leading BOM blanked (folder.h) */
	if (strcmp(pgm_rows_sha_hex(PG_SHA256, raw, *len), file->checksum) == 0)
		return raw;
	if (*len >= 3 && memcmp(raw, "   ", 3) == 0)
	{
		memcpy(raw, "\xEF\xBB\xBF", 3);
		if (strcmp(pgm_rows_sha_hex(PG_SHA256, raw, *len), file->checksum) == 0)
			return raw;
	}
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("migration file \"%s\" changed while it was applied", file->filename),
			 errdetail("Its bytes no longer have the SHA-256 checksum %s read earlier in this call.",
					   file->checksum),
			 errhint("Do not change migration files while they are being applied.")));
	return NULL;				/* keep compiler quiet */
}

char *
pgm_rows_spaced(const char *name)
{
	char	   *s = pstrdup(name);
	char	   *p;

	for (p = s; *p; p++)
		if (*p == '_')
			*p = ' ';
	return s;
}

char *
pgm_rows_user(void)
{
	return GetUserNameFromId(GetUserId(), false);
}

int64
pgm_rows_own_lock_key(void)
{
	return PGM_OWN_LOCK_KEY;
}

void
pgm_rows_delete(PgmTracked *t, const PgmToolTable *tt, const char *column, Oid type, Datum value)
{
	Oid			relid = pgm_rows_ensure(t, tt);
	Oid			types[1] = {type};
	Datum		values[1] = {value};

	pgm_spi_check(pgm_rows_exec(relid,
								psprintf("DELETE FROM %s WHERE %s OPERATOR(pg_catalog.=) $1",
										 pgm_rows_qualified(tt), quote_identifier(column)),
								1, types, values, NULL),
				  SPI_OK_DELETE, psprintf("writing %s's migration table", tt->tool));
}
