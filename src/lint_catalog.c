/*-------------------------------------------------------------------------
 *
 * lint_catalog.c
 *	  What lint knows about the objects a statement touches.
 *
 * Severity depends on where a table comes from.  A table created earlier
 * in the folder (or the same file) is new: nothing waits for it and it is
 * small, so a dangerous statement on it gives no finding.  A table in the
 * catalog is live: its size decides between error and warning.
 *
 * Catalog lookups run no SQL, so nothing a user defined (functions,
 * operators, search_path tricks in the migration) runs during lint:
 * RangeVarGetRelid without a lock, the syscache for pg_class, and the
 * relation's length in blocks, read under an ACCESS SHARE lock taken only
 * if it is granted at once and released right after.  When it is not
 * granted (a migration holds the table), pg_class.relpages is the size.
 * Nothing scans a table.
 *
 * Names created in the folder are kept as they are written, qualified and
 * unqualified, so "t" and "public.t" match each other; two tables of the
 * same name in two schemas are then taken for one (fewer findings, never
 * more).
 *
 * IDENTIFICATION
 *	  src/lint_catalog.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_inherits.h"
#include "lint.h"
#include "lint_catalog.h"
#include "nodes/primnodes.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#define NAME_KEY_LEN (4 * NAMEDATALEN)

typedef struct NameEntry
{
	char		key[NAME_KEY_LEN];
} NameEntry;

PgmLintCatalog *
pgm_lint_catalog_create(int64 big_bytes)
{
	PgmLintCatalog *cat = palloc0(sizeof(PgmLintCatalog));
	HASHCTL		ctl;

	ctl.keysize = NAME_KEY_LEN;
	ctl.entrysize = sizeof(NameEntry);
	ctl.hcxt = CurrentMemoryContext;
	cat->names = hash_create("pg_migrate lint names", 256, &ctl,
							 HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	cat->big_bytes = big_bytes;
	return cat;
}

static void
make_key(char *key, char kind, const char *schema, const char *name)
{
	MemSet(key, 0, NAME_KEY_LEN);
	snprintf(key, NAME_KEY_LEN, "%c%s.%s", kind, schema ? schema : "", name);
}

void
pgm_lint_note_name(PgmLintCatalog *cat, char kind, const char *schema, const char *name)
{
	char		key[NAME_KEY_LEN];

	if (name == NULL)
		return;
	make_key(key, kind, NULL, name);
	(void) hash_search(cat->names, key, HASH_ENTER, NULL);
	if (schema != NULL)
	{
		make_key(key, kind, schema, name);
		(void) hash_search(cat->names, key, HASH_ENTER, NULL);
	}
}

bool
pgm_lint_has_name(PgmLintCatalog *cat, char kind, const char *schema, const char *name)
{
	char		key[NAME_KEY_LEN];

	if (name == NULL)
		return false;
	make_key(key, kind, schema, name);
	if (hash_search(cat->names, key, HASH_FIND, NULL) != NULL)
		return true;
	if (schema == NULL)
		return false;
	/* "public.t" is the "t" an earlier file created without a schema */
	make_key(key, kind, NULL, name);
	return hash_search(cat->names, key, HASH_FIND, NULL) != NULL;
}

static void
note_range_var(PgmLintCatalog *cat, RangeVar *rv)
{
	if (rv != NULL)
		pgm_lint_note_name(cat, PGM_NAME_RELATION, rv->schemaname, rv->relname);
}

/* A type name's last two parts: schema (or NULL) and name. */
static void
note_any_name(PgmLintCatalog *cat, char kind, List *names)
{
	const char *schema = NULL;
	const char *name;

	if (names == NIL)
		return;
	name = strVal(llast(names));
	if (list_length(names) >= 2)
		schema = strVal(list_nth(names, list_length(names) - 2));
	pgm_lint_note_name(cat, kind, schema, name);
}

void
pgm_lint_note_created(PgmLintCatalog *cat, Node *tree)
{
	switch (nodeTag(tree))
	{
		case T_CreateStmt:
			note_range_var(cat, ((CreateStmt *) tree)->relation);
			break;
		case T_CreateTableAsStmt:
			note_range_var(cat, ((CreateTableAsStmt *) tree)->into->rel);
			break;
		case T_SelectStmt:
			if (((SelectStmt *) tree)->intoClause != NULL)
				note_range_var(cat, ((SelectStmt *) tree)->intoClause->rel);
			break;
		case T_ViewStmt:
			note_range_var(cat, ((ViewStmt *) tree)->view);
			break;
		case T_CreateSeqStmt:
			note_range_var(cat, ((CreateSeqStmt *) tree)->sequence);
			break;
		case T_IndexStmt:
			{
				IndexStmt  *stmt = (IndexStmt *) tree;

				pgm_lint_note_name(cat, PGM_NAME_RELATION, stmt->relation->schemaname,
								   stmt->idxname);
				break;
			}
		case T_CreateSchemaStmt:
			pgm_lint_note_name(cat, PGM_NAME_SCHEMA, NULL,
							   ((CreateSchemaStmt *) tree)->schemaname);
			break;
		case T_CreateEnumStmt:
			note_any_name(cat, PGM_NAME_TYPE, ((CreateEnumStmt *) tree)->typeName);
			break;
		case T_CompositeTypeStmt:
			note_range_var(cat, ((CompositeTypeStmt *) tree)->typevar);
			break;
		case T_CreateDomainStmt:
			note_any_name(cat, PGM_NAME_TYPE, ((CreateDomainStmt *) tree)->domainname);
			break;
		case T_CreatedbStmt:
			pgm_lint_note_name(cat, PGM_NAME_DATABASE, NULL, ((CreatedbStmt *) tree)->dbname);
			break;
		case T_RenameStmt:
			{
				/* the new name of a created table is created too */
				RenameStmt *stmt = (RenameStmt *) tree;

				if (stmt->relation != NULL && stmt->subname == NULL &&
					pgm_lint_has_name(cat, PGM_NAME_RELATION, stmt->relation->schemaname,
									  stmt->relation->relname))
					pgm_lint_note_name(cat, PGM_NAME_RELATION, stmt->relation->schemaname,
									   stmt->newname);
				break;
			}
		default:
			break;
	}
}

/* Blocks of the main fork, if the relation can be opened without waiting. */
static BlockNumber
current_blocks(Oid relid)
{
	BlockNumber blocks = 0;
	Relation	rel;

	if (!ConditionalLockRelationOid(relid, AccessShareLock))
		return 0;
	rel = try_relation_open(relid, NoLock);
	if (rel != NULL)
	{
		if (RELKIND_HAS_STORAGE(rel->rd_rel->relkind))
			blocks = RelationGetNumberOfBlocks(rel);
		relation_close(rel, NoLock);
	}
	UnlockRelationOid(relid, AccessShareLock);
	return blocks;
}

/* Adds relpages and reltuples of relid from the syscache; false if gone. */
static bool
add_class_size(Oid relid, double *pages, double *tuples, char *relkind)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Form_pg_class form;

	if (!HeapTupleIsValid(tup))
		return false;
	form = (Form_pg_class) GETSTRUCT(tup);
	*pages += Max(form->relpages, 0);
	if (form->reltuples >= 0)
		*tuples = Max(*tuples, 0) + form->reltuples;
	if (relkind != NULL)
		*relkind = form->relkind;
	ReleaseSysCache(tup);
	return true;
}

static void
fill_size(PgmLintCatalog *cat, PgmLintTable *t)
{
	double		pages = 0;
	double		tuples = -1;

	if (!add_class_size(t->relid, &pages, &tuples, &t->relkind))
		return;
	t->exists = true;
	if (t->relkind == RELKIND_PARTITIONED_TABLE)
	{
		/* a partitioned table is its partitions; pg_class is enough here */
		List	   *parts = find_all_inheritors(t->relid, NoLock, NULL);
		ListCell   *lc;

		pages = 0;
		tuples = -1;
		foreach(lc, parts)
		{
			if (lfirst_oid(lc) != t->relid)
				(void) add_class_size(lfirst_oid(lc), &pages, &tuples, NULL);
		}
	}
	else
		pages = Max(pages, (double) current_blocks(t->relid));
	t->tuples = tuples;
	t->bytes = (int64) pages * BLCKSZ;
	t->big = t->bytes >= cat->big_bytes;
}

static char *
range_var_name(RangeVar *rv)
{
	if (rv->schemaname != NULL)
		return psprintf("%s.%s", rv->schemaname, rv->relname);
	return pstrdup(rv->relname);
}

void
pgm_lint_table(PgmLintCatalog *cat, RangeVar *rv, PgmLintTable *t)
{
	MemSet(t, 0, sizeof(PgmLintTable));
	t->name = range_var_name(rv);
	t->tuples = -1;
	t->relid = InvalidOid;
	if (pgm_lint_has_name(cat, PGM_NAME_RELATION, rv->schemaname, rv->relname))
	{
		t->created = true;
		return;
	}
	t->relid = RangeVarGetRelid(rv, NoLock, true);
	if (OidIsValid(t->relid))
		fill_size(cat, t);
}

void
pgm_lint_table_oid(PgmLintCatalog *cat, Oid relid, PgmLintTable *t)
{
	char	   *relname = get_rel_name(relid);
	char	   *schema = get_namespace_name(get_rel_namespace(relid));

	MemSet(t, 0, sizeof(PgmLintTable));
	t->tuples = -1;
	t->relid = relid;
	if (relname == NULL)
		return;
	t->name = relname;
	if (pgm_lint_has_name(cat, PGM_NAME_RELATION, schema, relname))
	{
		t->created = true;
		return;
	}
	fill_size(cat, t);
}

const char *
pgm_lint_table_severity(const PgmLintTable *t, const char *big_sev, const char *small_sev)
{
	if (t->created)
		return NULL;
	return t->exists && t->big ? big_sev : small_sev;
}

/* pg_size_pretty's units and rounding, for messages. */
static char *
pretty_size(int64 bytes)
{
	static const char *const units[] = {"kB", "MB", "GB", "TB"};
	const int64 limit = 10 * 1024;
	const int64 limit2 = limit * 2 - 1;
	int64		size = bytes;
	int			u;

	if (size < limit)
		return psprintf(INT64_FORMAT " bytes", size);
	/* one extra bit for rounding */
	size >>= 9;
	for (u = 0; u < lengthof(units) - 1 && size >= limit2; u++)
		size >>= 10;
	return psprintf(INT64_FORMAT " %s", (size + 1) / 2, units[u]);
}

char *
pgm_lint_describe(const PgmLintTable *t)
{
	const char *kind = t->relkind == RELKIND_INDEX ||
		t->relkind == RELKIND_PARTITIONED_INDEX ? "index" :
		t->relkind == RELKIND_MATVIEW ? "materialized view" :
		t->relkind == RELKIND_VIEW ? "view" : "table";

	if (!t->exists)
		return psprintf("%s \"%s\"", kind, t->name);
	if (t->tuples < 0)
		return psprintf("%s \"%s\" (%s)", kind, t->name, pretty_size(t->bytes));
	if (t->tuples == 1)
		return psprintf("%s \"%s\" (1 row, %s)", kind, t->name, pretty_size(t->bytes));
	return psprintf("%s \"%s\" (%.0f rows, %s)", kind, t->name, t->tuples,
					pretty_size(t->bytes));
}

bool
pgm_lint_has_notnull_check(const PgmLintTable *t, const char *column)
{
	AttrNumber	attnum;
	Relation	conrel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	bool		found = false;

	if (!t->exists || column == NULL)
		return false;
	attnum = get_attnum(t->relid, column);
	if (attnum == InvalidAttrNumber)
		return false;

	conrel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(t->relid));
	scan = systable_beginscan(conrel, ConstraintRelidTypidNameIndexId, true, NULL, 1, &key);
	while (!found && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);
		Datum		bin;
		bool		isnull;
		Node	   *expr;

		if (con->contype != CONSTRAINT_CHECK || !con->convalidated)
			continue;
		bin = heap_getattr(tup, Anum_pg_constraint_conbin, RelationGetDescr(conrel), &isnull);
		if (isnull)
			continue;
		expr = stringToNode(TextDatumGetCString(bin));
		if (IsA(expr, List) && list_length((List *) expr) == 1)
			expr = linitial((List *) expr);
		found = IsA(expr, NullTest) &&
			((NullTest *) expr)->nulltesttype == IS_NOT_NULL &&
			IsA(((NullTest *) expr)->arg, Var) &&
			((Var *) ((NullTest *) expr)->arg)->varattno == attnum;
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
	return found;
}
