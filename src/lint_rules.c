/*-------------------------------------------------------------------------
 *
 * lint_rules.c
 *	  The static rules: which statement of a file takes which lock on
 *	  which table, judged from its raw parse tree and the catalog.
 *
 * Each rule names the table (and column) in its message and gives the
 * safe recipe as the hint.  Severity comes from the table
 * (lint_catalog.c): a table created earlier in the folder gives no
 * finding, a big existing table an error, a small one a warning (or info
 * for rules whose harm grows with size only).  Schema-design rules
 * (prefer-text-over-varchar, prefer-bigint-identity, prefer-timestamptz,
 * ban-char, prefer-jsonb) are about new columns, so they are info wherever
 * the table comes from.
 *
 * The rules follow squawk's and eugene's (see the README for the mapping),
 * with what only a runner inside the server knows: the live table sizes,
 * what earlier files of the folder created, and pg_migrate.lock_timeout.
 *
 * Nothing here runs SQL: function volatility and column types come from
 * the syscache.
 *
 * IDENTIFICATION
 *	  src/lint_rules.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/tablecmds.h"
#include "lint.h"
#include "lint_rules.h"
#include "lint_suppress.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_coerce.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#define S_ERROR		PGM_SEVERITY_ERROR
#define S_WARNING	PGM_SEVERITY_WARNING
#define S_INFO		PGM_SEVERITY_INFO

/* One file being linted */
typedef struct Run
{
	PgmLintCatalog *cat;
	PgmScript  *script;
	List	  **findings;
	List	   *file_ignores;
	int			i;				/* the statement */
	List	   *stmt_ignores;	/* its lint-ignore rules, once read */
	bool		stmt_ignores_read;
	bool		guc_lock_timeout;
	bool		lock_timeout;	/* SET lock_timeout earlier in the file */
	bool		lock_timeout_reported;
	bool		has_ddl;		/* the file changes the schema */
	int			nother;			/* statements other than SET */
} Run;

static void
add(Run *run, const char *rule, const char *severity, char *message, const char *hint)
{
	PgmFile    *file = run->script->file;
	PgmProblem *p;

	if (!run->stmt_ignores_read)
	{
		run->stmt_ignores = pgm_lint_statement_ignores(run->script, run->i);
		run->stmt_ignores_read = true;
	}
	if (pgm_lint_rule_in(run->file_ignores, rule) ||
		pgm_lint_rule_in(run->stmt_ignores, rule))
		severity = PGM_SEVERITY_IGNORED;

	p = pgm_problem_add(run->findings, file->filename, !file->repeatable, file->version,
						severity, message);
	p->rule = rule;
	p->sqlstate = ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE;
	p->hint = hint;
	pgm_script_position(file, run->script->stmts[run->i].start, &p->line, &p->column);
	p->excerpt = pgm_statement_excerpt(run->script, run->i);
}

/* Looks rv up and returns the severity, NULL for no finding. */
static const char *
table_severity(Run *run, RangeVar *rv, PgmLintTable *t, const char *small_sev)
{
	pgm_lint_table(run->cat, rv, t);
	return pgm_lint_table_severity(t, S_ERROR, small_sev);
}

static char *
table_key(RangeVar *rv)
{
	return rv->schemaname ? psprintf("%s.%s", rv->schemaname, rv->relname) : rv->relname;
}

/* ---- types of new columns ---- */

/* The type's name if it is a pg_catalog (or unqualified) type, else NULL. */
static const char *
builtin_type(TypeName *tn)
{
	int			n;

	if (tn == NULL || tn->names == NIL)
		return NULL;
	n = list_length(tn->names);
	if (n > 2 || (n == 2 && strcmp(strVal(linitial(tn->names)), "pg_catalog") != 0))
		return NULL;
	return strVal(llast(tn->names));
}

static bool
type_is(const char *name, const char *const *names)
{
	for (; name != NULL && *names != NULL; names++)
	{
		if (strcmp(name, *names) == 0)
			return true;
	}
	return false;
}

static const char *const serial_types[] = {"serial", "serial4", "smallserial", "serial2",
"bigserial", "serial8", NULL};
static const char *const small_int_types[] = {"int4", "int2", "integer", "smallint", NULL};

static void
check_column_type(Run *run, TypeName *tn, const char *col, bool identity_or_pk)
{
	const char *type = builtin_type(tn);

	if (type == NULL)
		return;
	if (strcmp(type, "varchar") == 0 && tn->typmods != NIL)
		add(run, PGM_RULE_PREFER_TEXT, S_INFO,
			psprintf(_("column \"%s\" is varchar(n): changing the limit later takes an ACCESS EXCLUSIVE lock"), col),
			_("Use text, with CHECK (char_length(column) <= n) if the limit matters: a CHECK can be replaced with NOT VALID and validated without blocking."));
	else if (strcmp(type, "bpchar") == 0)
		add(run, PGM_RULE_BAN_CHAR, S_INFO,
			psprintf(_("column \"%s\" is char(n), which pads values with spaces and is no faster than text"), col),
			_("Use text (or varchar), with a CHECK on the length if it matters."));
	else if (strcmp(type, "timestamp") == 0)
		add(run, PGM_RULE_PREFER_TIMESTAMPTZ, S_INFO,
			psprintf(_("column \"%s\" is timestamp without time zone, which loses the offset of the values written"), col),
			_("Use timestamptz (timestamp with time zone): it stores an instant and converts to the session's time zone."));
	else if (strcmp(type, "json") == 0)
		add(run, PGM_RULE_PREFER_JSONB, S_INFO,
			psprintf(_("column \"%s\" is json, which has no equality operator: SELECT DISTINCT, UNION and GROUP BY on the table fail"), col),
			_("Use jsonb."));
	else if (type_is(type, serial_types))
		add(run, PGM_RULE_PREFER_BIGINT_IDENTITY, S_INFO,
			psprintf(_("column \"%s\" is %s: a serial's sequence has its own owner and grants, and a 32-bit serial runs out"), col, type),
			_("Use bigint GENERATED BY DEFAULT AS IDENTITY."));
	else if (identity_or_pk && type_is(type, small_int_types))
		add(run, PGM_RULE_PREFER_BIGINT_IDENTITY, S_INFO,
			psprintf(_("key column \"%s\" is %s, which runs out of values, and widening it later rewrites the table"), col, type),
			_("Use bigint GENERATED BY DEFAULT AS IDENTITY."));
}

static bool
has_constraint(List *constraints, ConstrType type)
{
	ListCell   *lc;

	foreach(lc, constraints)
	{
		if (IsA(lfirst(lc), Constraint) && ((Constraint *) lfirst(lc))->contype == type)
			return true;
	}
	return false;
}

static Constraint *
find_constraint(List *constraints, ConstrType type)
{
	ListCell   *lc;

	foreach(lc, constraints)
	{
		if (IsA(lfirst(lc), Constraint) && ((Constraint *) lfirst(lc))->contype == type)
			return (Constraint *) lfirst(lc);
	}
	return NULL;
}

static void
check_create_table(Run *run, CreateStmt *stmt)
{
	List	   *pk = NIL;
	ListCell   *lc;

	foreach(lc, stmt->tableElts)
	{
		if (IsA(lfirst(lc), Constraint) && ((Constraint *) lfirst(lc))->contype == CONSTR_PRIMARY)
			pk = list_concat(pk, ((Constraint *) lfirst(lc))->keys);
	}
	foreach(lc, stmt->tableElts)
	{
		ColumnDef  *def = (ColumnDef *) lfirst(lc);
		ListCell   *k;
		bool		key = false;

		if (!IsA(def, ColumnDef))
			continue;
		foreach(k, pk)
		{
			if (strcmp(strVal(lfirst(k)), def->colname) == 0)
				key = true;
		}
		key = key || has_constraint(def->constraints, CONSTR_IDENTITY) ||
			has_constraint(def->constraints, CONSTR_PRIMARY);
		check_column_type(run, def->typeName, def->colname, key);
	}
}

/* ---- ALTER TABLE ---- */

static bool
volatile_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, SubLink))
		return true;
	if (IsA(node, FuncCall))
	{
		FuncCandidateList c = FuncnameGetCandidates(((FuncCall *) node)->funcname, -1, NIL,
													false, false, false, true);

		if (c == NULL)
			return true;		/* not known: take it as volatile */
		for (; c != NULL; c = c->next)
		{
			if (func_volatile(c->oid) == PROVOLATILE_VOLATILE)
				return true;
		}
	}
	return raw_expression_tree_walker(node, volatile_walker, context);
}

/* Why adding this column rewrites the table, or NULL. */
static const char *
add_column_rewrites(ColumnDef *def)
{
	Constraint *dflt = find_constraint(def->constraints, CONSTR_DEFAULT);

	if (type_is(builtin_type(def->typeName), serial_types))
		return _("of a serial type");
	if (has_constraint(def->constraints, CONSTR_IDENTITY))
		return _("as an identity column");
	if (has_constraint(def->constraints, CONSTR_GENERATED))
		return _("as a stored generated column");
	if (dflt != NULL && volatile_walker(dflt->raw_expr, NULL))
		return _("with a volatile default");
	return NULL;
}

static void
check_add_column(Run *run, RangeVar *rv, ColumnDef *def)
{
	const char *why = add_column_rewrites(def);
	PgmLintTable t;
	const char *sev;
	Constraint *uniq;

	check_column_type(run, def->typeName, def->colname,
					  has_constraint(def->constraints, CONSTR_IDENTITY) ||
					  has_constraint(def->constraints, CONSTR_PRIMARY));

	sev = table_severity(run, rv, &t, S_WARNING);
	if (sev == NULL)
		return;
	if (why != NULL)
		add(run, PGM_RULE_ADD_COLUMN_VOLATILE, sev,
			psprintf(_("adding column \"%s\" %s rewrites %s while holding an ACCESS EXCLUSIVE lock"),
					 def->colname, why, pgm_lint_describe(&t)),
			_("Add the column with no default or a constant one (no rewrite), then fill existing rows in batches in a later migration; for an identity or generated column, build a new table or fill a plain column with a trigger."));
	else if ((has_constraint(def->constraints, CONSTR_NOTNULL) ||
			  has_constraint(def->constraints, CONSTR_PRIMARY)) &&
			 !has_constraint(def->constraints, CONSTR_DEFAULT))
		add(run, PGM_RULE_ADD_COLUMN_NOT_NULL, sev,
			psprintf(_("adding column \"%s\" NOT NULL without a default fails if %s has any row"),
					 def->colname, pgm_lint_describe(&t)),
			_("Add the column with a constant DEFAULT (no rewrite since PostgreSQL 11), or add it nullable, fill it in batches, then set NOT NULL with a CHECK (column IS NOT NULL) NOT VALID that is validated first."));

	uniq = find_constraint(def->constraints, CONSTR_UNIQUE);
	if (uniq == NULL)
		uniq = find_constraint(def->constraints, CONSTR_PRIMARY);
	if (uniq != NULL)
		add(run, PGM_RULE_UNIQUE_WITHOUT_INDEX, sev,
			psprintf(_("adding column \"%s\" with a %s constraint builds an index on %s while holding an ACCESS EXCLUSIVE lock"),
					 def->colname, uniq->contype == CONSTR_PRIMARY ? "PRIMARY KEY" : "UNIQUE",
					 pgm_lint_describe(&t)),
			_("Add the column without the constraint, build the index with CREATE UNIQUE INDEX CONCURRENTLY in its own migration, then ADD CONSTRAINT ... UNIQUE USING INDEX (or PRIMARY KEY USING INDEX)."));
}

/* NULL, or the column c tests as "c IS NOT NULL" (a raw expression). */
static const char *
not_null_column(Node *expr)
{
	NullTest   *nt = (NullTest *) expr;
	ColumnRef  *ref;

	if (expr == NULL || !IsA(expr, NullTest) || nt->nulltesttype != IS_NOT_NULL ||
		!IsA(nt->arg, ColumnRef))
		return NULL;
	ref = (ColumnRef *) nt->arg;
	if (list_length(ref->fields) != 1 || !IsA(linitial(ref->fields), String))
		return NULL;
	return strVal(linitial(ref->fields));
}

static void
note_not_null(Run *run, RangeVar *rv, const char *column)
{
	pgm_lint_note_name(run->cat, PGM_NAME_NOTNULL, NULL,
					   psprintf("%s.%s", table_key(rv), column));
}

static void
check_add_constraint(Run *run, RangeVar *rv, Constraint *c)
{
	PgmLintTable t;
	const char *sev;
	char	   *name = c->conname ? psprintf(" \"%s\"", c->conname) : "";

	if (c->contype == CONSTR_CHECK && c->skip_validation && not_null_column(c->raw_expr))
	{
		PgmNullCheck *nc = palloc(sizeof(PgmNullCheck));

		nc->table = table_key(rv);
		nc->conname = c->conname;
		nc->column = pstrdup(not_null_column(c->raw_expr));
		run->cat->null_checks = lappend(run->cat->null_checks, nc);
	}
	if (c->contype == CONSTR_CHECK && !c->skip_validation && not_null_column(c->raw_expr))
		note_not_null(run, rv, not_null_column(c->raw_expr));

	switch (c->contype)
	{
		case CONSTR_CHECK:
		case CONSTR_FOREIGN:
			if (c->skip_validation || (sev = table_severity(run, rv, &t, S_WARNING)) == NULL)
				return;
			add(run, PGM_RULE_CONSTRAINT_NOT_VALID, sev,
				c->contype == CONSTR_CHECK ?
				psprintf(_("adding CHECK constraint%s scans %s while holding an ACCESS EXCLUSIVE lock, which blocks reads and writes"),
						 name, pgm_lint_describe(&t)) :
				psprintf(_("adding FOREIGN KEY constraint%s scans %s while holding a SHARE ROW EXCLUSIVE lock on it and on the referenced table, which blocks writes"),
						 name, pgm_lint_describe(&t)),
				_("Add the constraint with NOT VALID (new rows are checked at once), then VALIDATE CONSTRAINT in a later migration: validation takes a SHARE UPDATE EXCLUSIVE lock, so reads and writes go on."));
			return;
		case CONSTR_UNIQUE:
		case CONSTR_PRIMARY:
			if (c->indexname != NULL || (sev = table_severity(run, rv, &t, S_WARNING)) == NULL)
				return;
			add(run, PGM_RULE_UNIQUE_WITHOUT_INDEX, sev,
				psprintf(_("adding %s constraint%s builds an index on %s while holding an ACCESS EXCLUSIVE lock"),
						 c->contype == CONSTR_PRIMARY ? "PRIMARY KEY" : "UNIQUE", name,
						 pgm_lint_describe(&t)),
				_("Build the index first with CREATE UNIQUE INDEX CONCURRENTLY in its own migration, then ADD CONSTRAINT ... UNIQUE USING INDEX (or PRIMARY KEY USING INDEX), which takes the lock only briefly."));
			return;
		case CONSTR_EXCLUSION:
			if ((sev = table_severity(run, rv, &t, S_WARNING)) == NULL)
				return;
			add(run, PGM_RULE_EXCLUSION_CONSTRAINT, sev,
				psprintf(_("adding EXCLUDE constraint%s builds an index on %s while holding an ACCESS EXCLUSIVE lock"),
						 name, pgm_lint_describe(&t)),
				_("An exclusion constraint cannot use an index built concurrently: add it when the table is created, or in a maintenance window with a lock_timeout."));
			return;
		default:
			return;
	}
}

static void
check_validate(Run *run, RangeVar *rv, const char *conname)
{
	ListCell   *lc;
	char	   *table = table_key(rv);

	foreach(lc, run->cat->null_checks)
	{
		PgmNullCheck *nc = (PgmNullCheck *) lfirst(lc);

		if (nc->conname != NULL && strcmp(nc->conname, conname) == 0 &&
			strcmp(nc->table, table) == 0)
			note_not_null(run, rv, nc->column);
	}
}

static void
check_set_not_null(Run *run, RangeVar *rv, const char *column)
{
	PgmLintTable t;
	const char *sev;

	if (pgm_lint_has_name(run->cat, PGM_NAME_NOTNULL, NULL,
						  psprintf("%s.%s", table_key(rv), column)))
		return;
	sev = table_severity(run, rv, &t, S_WARNING);
	if (sev == NULL || pgm_lint_has_notnull_check(&t, column))
		return;
	add(run, PGM_RULE_SET_NOT_NULL, sev,
		psprintf(_("SET NOT NULL on column \"%s\" scans %s while holding an ACCESS EXCLUSIVE lock"),
				 column, pgm_lint_describe(&t)),
		_("Add CHECK (column IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in a later migration (reads and writes go on), then SET NOT NULL, which the valid CHECK proves without a scan, and drop the CHECK."));
}

/* Does changing the column's type to def's rewrite the table? */
static bool
type_change_rewrites(PgmLintTable *t, const char *column, ColumnDef *def)
{
	HeapTuple	tup;
	Type		newtup;
	Oid			oldtype;
	int32		oldmod;
	Oid			newtype;
	int32		newmod;

	if (def->raw_default != NULL || !t->exists)
		return true;			/* USING, or a column we cannot see */
	tup = SearchSysCacheAttName(t->relid, column);
	if (!HeapTupleIsValid(tup))
		return true;
	oldtype = ((Form_pg_attribute) GETSTRUCT(tup))->atttypid;
	oldmod = ((Form_pg_attribute) GETSTRUCT(tup))->atttypmod;
	ReleaseSysCache(tup);
	newtup = LookupTypeName(NULL, def->typeName, &newmod, true);
	if (newtup == NULL)
		return true;
	newtype = typeTypeId(newtup);
	ReleaseSysCache(newtup);

	if (newtype != oldtype)
		return !(newmod == -1 && IsBinaryCoercible(oldtype, newtype));
	if (newmod == oldmod || newmod == -1)
		return false;
	switch (newtype)
	{
		case VARCHAROID:
		case VARBITOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
		case TIMEOID:
		case TIMETZOID:
			/* widening: no rewrite (the types' length-coercion support) */
			return oldmod != -1 && newmod < oldmod;
		case NUMERICOID:
			/* same scale, no smaller precision */
			return oldmod == -1 ||
				((oldmod - VARHDRSZ) & 0x7ff) != ((newmod - VARHDRSZ) & 0x7ff) ||
				((newmod - VARHDRSZ) >> 16) < ((oldmod - VARHDRSZ) >> 16);
		default:
			return true;
	}
}

static void
check_alter_type(Run *run, RangeVar *rv, const char *column, ColumnDef *def)
{
	PgmLintTable t;
	const char *sev;

	check_column_type(run, def->typeName, column, false);
	sev = table_severity(run, rv, &t, S_WARNING);
	if (sev == NULL || !type_change_rewrites(&t, column, def))
		return;
	add(run, PGM_RULE_ALTER_COLUMN_TYPE, sev,
		psprintf(_("changing the type of column \"%s\" rewrites %s and its indexes while holding an ACCESS EXCLUSIVE lock"),
				 column, pgm_lint_describe(&t)),
		_("Add a column of the new type, fill it in batches and keep it in sync with a trigger, move the clients to it, then drop the old column. Changes that need no rewrite (varchar widening, varchar to text) are not reported."));
}

static void
check_alter_table(Run *run, AlterTableStmt *stmt)
{
	ListCell   *lc;
	PgmLintTable t;
	const char *sev;

	if (stmt->objtype != OBJECT_TABLE)
		return;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

		switch (cmd->subtype)
		{
			case AT_AddColumn:
				check_add_column(run, stmt->relation, (ColumnDef *) cmd->def);
				break;
			case AT_SetNotNull:
				check_set_not_null(run, stmt->relation, cmd->name);
				break;
			case AT_AlterColumnType:
				check_alter_type(run, stmt->relation, cmd->name, (ColumnDef *) cmd->def);
				break;
			case AT_AddConstraint:
				check_add_constraint(run, stmt->relation, (Constraint *) cmd->def);
				break;
			case AT_ValidateConstraint:
				check_validate(run, stmt->relation, cmd->name);
				break;
			case AT_DropColumn:
				if ((sev = table_severity(run, stmt->relation, &t, S_WARNING)) != NULL)
					add(run, PGM_RULE_DROP, sev,
						psprintf(_("dropping column \"%s\" of %s deletes its data and breaks every client that still uses it"),
								 cmd->name, pgm_lint_describe(&t)),
						_("Stop every client from using the column first (deploy that), keep a backup, then drop it in a migration of its own."));
				break;
			case AT_DetachPartition:
				if (!((PartitionCmd *) cmd->def)->concurrent &&
					(sev = table_severity(run, stmt->relation, &t, S_WARNING)) != NULL)
					add(run, PGM_RULE_LOCK_HEAVY, sev,
						psprintf(_("DETACH PARTITION holds an ACCESS EXCLUSIVE lock on %s"),
								 pgm_lint_describe(&t)),
						_("Use DETACH PARTITION ... CONCURRENTLY, alone in a migration file (it runs outside a transaction block)."));
				break;
			default:
				break;
		}
	}
}

/* ---- other statements ---- */

static void
check_index(Run *run, IndexStmt *stmt)
{
	PgmLintTable t;
	const char *sev;

	if (stmt->concurrent || (sev = table_severity(run, stmt->relation, &t, S_WARNING)) == NULL)
		return;
	add(run, PGM_RULE_INDEX_NOT_CONCURRENT, sev,
		psprintf(_("CREATE INDEX on %s blocks writes to it until the index is built"),
				 pgm_lint_describe(&t)),
		t.relkind == RELKIND_PARTITIONED_TABLE ?
		_("A partitioned table has no CONCURRENTLY: create the index ON ONLY the parent, create each partition's index with CREATE INDEX CONCURRENTLY, then ALTER INDEX ... ATTACH PARTITION each.") :
		_("Use CREATE INDEX CONCURRENTLY, alone in a migration file: it runs outside a transaction block and lets writes go on."));
}

/* The table an index belongs to, looked up by the index's name. */
static const char *
index_table_severity(Run *run, RangeVar *index, PgmLintTable *t)
{
	Oid			indexid;
	Oid			relid;

	pgm_lint_table(run->cat, index, t);
	if (t->created || !t->exists)
		return pgm_lint_table_severity(t, S_ERROR, S_WARNING);
	indexid = t->relid;
	relid = IndexGetRelation(indexid, true);
	if (OidIsValid(relid))
		pgm_lint_table_oid(run->cat, relid, t);
	return pgm_lint_table_severity(t, S_ERROR, S_WARNING);
}

static void
check_drop(Run *run, DropStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->objects)
	{
		PgmLintTable t;
		const char *sev;

		switch (stmt->removeType)
		{
			case OBJECT_TABLE:
				if ((sev = table_severity(run, makeRangeVarFromNameList((List *) lfirst(lc)),
										  &t, S_WARNING)) != NULL)
					add(run, PGM_RULE_DROP, sev,
						psprintf(_("dropping %s deletes its data and breaks every client that still uses it"),
								 pgm_lint_describe(&t)),
						_("Stop every client from using the table first (deploy that), keep a backup, then drop it in a migration of its own."));
				break;
			case OBJECT_INDEX:
				if (!stmt->concurrent &&
					(sev = index_table_severity(run, makeRangeVarFromNameList((List *) lfirst(lc)),
												&t)) != NULL)
					add(run, PGM_RULE_INDEX_NOT_CONCURRENT, sev,
						psprintf(_("DROP INDEX \"%s\" blocks reads and writes of %s until it is dropped"),
								 NameListToString((List *) lfirst(lc)), pgm_lint_describe(&t)),
						_("Use DROP INDEX CONCURRENTLY, alone in a migration file: it runs outside a transaction block."));
				break;
			case OBJECT_SCHEMA:
				{
					const char *schema = strVal(lfirst(lc));

					if (pgm_lint_has_name(run->cat, PGM_NAME_SCHEMA, NULL, schema) ||
						!OidIsValid(get_namespace_oid(schema, true)))
						break;
					add(run, PGM_RULE_DROP,
						stmt->behavior == DROP_CASCADE ? S_ERROR : S_WARNING,
						stmt->behavior == DROP_CASCADE ?
						psprintf(_("dropping schema \"%s\" with CASCADE deletes every object in it and their data"), schema) :
						psprintf(_("dropping schema \"%s\" breaks every client that still uses it"), schema),
						_("Stop every client from using the schema first (deploy that), keep a backup, then drop what it holds one object at a time."));
					break;
				}
			default:
				return;
		}
	}
}

static void
check_rename(Run *run, RenameStmt *stmt)
{
	PgmLintTable t;
	const char *sev;

	if (stmt->relation == NULL)
		return;
	switch (stmt->renameType)
	{
		case OBJECT_TABLE:
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
		case OBJECT_COLUMN:
			break;
		default:
			return;
	}
	if ((sev = table_severity(run, stmt->relation, &t, S_WARNING)) == NULL)
		return;
	add(run, PGM_RULE_RENAME, sev,
		stmt->renameType == OBJECT_COLUMN ?
		psprintf(_("renaming column \"%s\" of %s to \"%s\" breaks every client that uses the old name"),
				 stmt->subname, pgm_lint_describe(&t), stmt->newname) :
		psprintf(_("renaming %s to \"%s\" breaks every client that uses the old name"),
				 pgm_lint_describe(&t), stmt->newname),
		_("Add the new name beside the old one (a new column kept in sync by a trigger, or a view with the new name), move the clients to it, then remove the old name in a later migration."));
}

static void
check_truncate(Run *run, TruncateStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->relations)
	{
		PgmLintTable t;
		const char *sev;

		if ((sev = table_severity(run, (RangeVar *) lfirst(lc), &t, S_WARNING)) == NULL)
			continue;
		add(run, PGM_RULE_TRUNCATE, sev,
			stmt->behavior == DROP_CASCADE ?
			psprintf(_("TRUNCATE ... CASCADE deletes every row of %s and of every table that references it, while holding ACCESS EXCLUSIVE locks"),
					 pgm_lint_describe(&t)) :
			psprintf(_("TRUNCATE deletes every row of %s while holding an ACCESS EXCLUSIVE lock"),
					 pgm_lint_describe(&t)),
			_("Delete the rows that must go in batches in a data migration; keep TRUNCATE for tables no client uses."));
	}
}

static bool
option_on(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *opt = (DefElem *) lfirst(lc);

		if (strcmp(opt->defname, name) == 0)
			return defGetBoolean(opt);
	}
	return false;
}

const char *
pgm_lint_lock_mode_name(LOCKMODE mode)
{
	static const char *const names[] = {
		"", "ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE",
		"SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"
	};

	return mode >= 0 && mode < lengthof(names) ? names[mode] : "";
}

static void
heavy(Run *run, RangeVar *rv, const char *fmt, const char *hint)
{
	PgmLintTable t;
	const char *sev;

	if ((sev = table_severity(run, rv, &t, S_WARNING)) != NULL)
		add(run, PGM_RULE_LOCK_HEAVY, sev, psprintf(fmt, pgm_lint_describe(&t)), hint);
}

static void
check_lock_heavy(Run *run, Node *tree)
{
	static const char *const rewrite_hint =
	gettext_noop("Rewrite the table online with pg_repack, or do it in a maintenance window: a migration should not hold this lock.");
	ListCell   *lc;

	switch (nodeTag(tree))
	{
		case T_VacuumStmt:
			{
				VacuumStmt *stmt = (VacuumStmt *) tree;

				if (!stmt->is_vacuumcmd || !option_on(stmt->options, "full"))
					return;
				if (stmt->rels == NIL)
					add(run, PGM_RULE_LOCK_HEAVY, S_ERROR,
						pstrdup(_("VACUUM FULL rewrites every table of the database, each while holding an ACCESS EXCLUSIVE lock")),
						_(rewrite_hint));
				foreach(lc, stmt->rels)
					heavy(run, ((VacuumRelation *) lfirst(lc))->relation,
						  _("VACUUM FULL rewrites %s while holding an ACCESS EXCLUSIVE lock"),
						  _(rewrite_hint));
				return;
			}
		case T_ClusterStmt:
			if (((ClusterStmt *) tree)->relation != NULL)
				heavy(run, ((ClusterStmt *) tree)->relation,
					  _("CLUSTER rewrites %s while holding an ACCESS EXCLUSIVE lock"),
					  _(rewrite_hint));
			return;
		case T_LockStmt:
			{
				LockStmt   *stmt = (LockStmt *) tree;

				if (stmt->mode < ShareLock)
					return;
				foreach(lc, stmt->relations)
					heavy(run, (RangeVar *) lfirst(lc),
						  psprintf(_("LOCK TABLE ... IN %s MODE blocks %s %%s until the migration commits"),
								   pgm_lint_lock_mode_name(stmt->mode),
								   stmt->mode == AccessExclusiveLock ? _("reads and writes of") : _("writes to")),
						  _("Do not lock tables by hand in a migration; the statements that need a lock take it. If you must, SET lock_timeout first and keep the migration short."));
				return;
			}
		case T_ReindexStmt:
			{
				ReindexStmt *stmt = (ReindexStmt *) tree;
				PgmLintTable t;
				const char *sev;

				if (option_on(stmt->params, "concurrently") || stmt->relation == NULL)
					return;
				sev = stmt->kind == REINDEX_OBJECT_INDEX ?
					index_table_severity(run, stmt->relation, &t) :
					table_severity(run, stmt->relation, &t, S_WARNING);
				if (sev != NULL)
					add(run, PGM_RULE_LOCK_HEAVY, sev,
						psprintf(_("REINDEX blocks writes to %s, and reads that use the index, until it finishes"),
								 pgm_lint_describe(&t)),
						_("Use REINDEX ... CONCURRENTLY, alone in a migration file: it runs outside a transaction block."));
				return;
			}
		case T_RefreshMatViewStmt:
			if (!((RefreshMatViewStmt *) tree)->concurrent)
				heavy(run, ((RefreshMatViewStmt *) tree)->relation,
					  _("REFRESH MATERIALIZED VIEW blocks reads of %s until it finishes"),
					  _("Use REFRESH MATERIALIZED VIEW CONCURRENTLY (the view needs a unique index)."));
			return;
		default:
			return;
	}
}

/* ---- statements that cannot run in a transaction block ---- */

const char *
pgm_lint_untraceable(Node *tree, LOCKMODE *mode, RangeVar **rv)
{
	const char *kind = pgm_statement_no_transaction_reason(tree);

	/* which statements need no transaction block is script.c's; the lock here */
	*mode = NoLock;
	*rv = NULL;
	if (kind == NULL)
		return NULL;
	switch (nodeTag(tree))
	{
		case T_IndexStmt:
			*mode = ShareUpdateExclusiveLock;
			*rv = ((IndexStmt *) tree)->relation;
			break;
		case T_DropStmt:
			*mode = ShareUpdateExclusiveLock;
			*rv = makeRangeVarFromNameList((List *) linitial(((DropStmt *) tree)->objects));
			break;
		case T_ReindexStmt:
			if (option_on(((ReindexStmt *) tree)->params, "concurrently"))
			{
				*mode = ShareUpdateExclusiveLock;
				*rv = ((ReindexStmt *) tree)->relation;
			}
			break;
		case T_VacuumStmt:
			*mode = option_on(((VacuumStmt *) tree)->options, "full") ?
				AccessExclusiveLock : ShareUpdateExclusiveLock;
			if (((VacuumStmt *) tree)->rels != NIL)
				*rv = ((VacuumRelation *) linitial(((VacuumStmt *) tree)->rels))->relation;
			break;
		case T_AlterTableStmt:
			*mode = ShareUpdateExclusiveLock;
			*rv = ((AlterTableStmt *) tree)->relation;
			break;
		default:
			break;
	}
	return kind;
}

static void
check_concurrent(Run *run, Node *tree)
{
	LOCKMODE	mode;
	RangeVar   *rv;
	const char *kind = pgm_lint_untraceable(tree, &mode, &rv);

	if (kind == NULL || run->nother <= 1)
		return;
	add(run, PGM_RULE_CONCURRENT_IN_TRANSACTION, S_WARNING,
		psprintf(_("%s cannot run inside a transaction block, so this file runs statement by statement: its other statements are not all or nothing, and migrate_apply refuses the file"),
				 kind),
		_("Put the statement alone in a migration file of its own; the background worker and migrate_apply_async run it outside a transaction block."));
}

/* ---- the file's lock_timeout ---- */

static void
note_lock_timeout(Run *run, VariableSetStmt *stmt)
{
	A_Const    *value;

	if (stmt->name == NULL || strcmp(stmt->name, "lock_timeout") != 0)
		return;
	if (stmt->kind != VAR_SET_VALUE || stmt->args == NIL || !IsA(linitial(stmt->args), A_Const))
	{
		run->lock_timeout = false;
		return;
	}
	value = (A_Const *) linitial(stmt->args);
	run->lock_timeout = !((IsA(&value->val, Integer) && intVal(&value->val) == 0) ||
						  (IsA(&value->val, String) && strcmp(strVal(&value->val), "0") == 0));
}

/* The table a statement locks ACCESS EXCLUSIVE, or NULL. */
static RangeVar *
access_exclusive_target(Node *tree)
{
	switch (nodeTag(tree))
	{
		case T_AlterTableStmt:
			return AlterTableGetLockLevel(((AlterTableStmt *) tree)->cmds) == AccessExclusiveLock ?
				((AlterTableStmt *) tree)->relation : NULL;
		case T_DropStmt:
			{
				DropStmt   *stmt = (DropStmt *) tree;

				if (stmt->concurrent ||
					(stmt->removeType != OBJECT_TABLE && stmt->removeType != OBJECT_INDEX &&
					 stmt->removeType != OBJECT_MATVIEW))
					return NULL;
				return makeRangeVarFromNameList((List *) linitial(stmt->objects));
			}
		case T_TruncateStmt:
			return (RangeVar *) linitial(((TruncateStmt *) tree)->relations);
		case T_RenameStmt:
			return ((RenameStmt *) tree)->relation;
		case T_ClusterStmt:
			return ((ClusterStmt *) tree)->relation;
		case T_RefreshMatViewStmt:
			return ((RefreshMatViewStmt *) tree)->concurrent ? NULL :
				((RefreshMatViewStmt *) tree)->relation;
		case T_LockStmt:
			return ((LockStmt *) tree)->mode == AccessExclusiveLock ?
				(RangeVar *) linitial(((LockStmt *) tree)->relations) : NULL;
		default:
			return NULL;
	}
}

static void
check_lock_timeout(Run *run, Node *tree)
{
	RangeVar   *rv;
	PgmLintTable t;
	const char *sev;

	if (run->lock_timeout || run->guc_lock_timeout || run->lock_timeout_reported)
		return;
	rv = access_exclusive_target(tree);
	if (rv == NULL || (sev = table_severity(run, rv, &t, S_WARNING)) == NULL || !t.exists)
		return;
	run->lock_timeout_reported = true;
	add(run, PGM_RULE_NO_LOCK_TIMEOUT, sev,
		psprintf(_("statement takes an ACCESS EXCLUSIVE lock on %s with no lock_timeout: while it waits for the lock, every query of the table queues behind it"),
				 pgm_lint_describe(&t)),
		_("Start the file with SET lock_timeout = '2s' (it lasts until the end of the migration), or set pg_migrate.lock_timeout for the background worker, and retry when it times out."));
}

/* ---- data changes ---- */

static void
check_backfill(Run *run, Node *tree)
{
	RangeVar   *rv;
	PgmLintTable t;
	const char *sev;

	if (!run->has_ddl)
		return;
	if (IsA(tree, UpdateStmt))
		rv = ((UpdateStmt *) tree)->relation;
	else if (IsA(tree, DeleteStmt))
		rv = ((DeleteStmt *) tree)->relation;
	else
		return;
	if ((sev = table_severity(run, rv, &t, S_INFO)) == NULL)
		return;
	add(run, PGM_RULE_BACKFILL_IN_DDL_FILE, sev,
		psprintf(_("%s of %s in a file that changes the schema holds the schema change's locks while every row is written"),
				 IsA(tree, UpdateStmt) ? "UPDATE" : "DELETE", pgm_lint_describe(&t)),
		_("Run the backfill as a data migration of its own, in batches (UPDATE ... WHERE id BETWEEN ...), after the schema change has committed."));
}

static void
check_enum_value(Run *run, AlterEnumStmt *stmt)
{
	List	   *names = stmt->typeName;
	const char *schema = list_length(names) >= 2 ?
		strVal(list_nth(names, list_length(names) - 2)) : NULL;
	char	   *literal;
	bool		used = false;
	int			j;

	if (stmt->oldVal != NULL || stmt->newVal == NULL || run->script->no_transaction ||
		pgm_lint_has_name(run->cat, PGM_NAME_TYPE, schema, strVal(llast(names))))
		return;
	literal = psprintf("'%s'", stmt->newVal);
	for (j = run->i + 1; j < run->script->nstmts && !used; j++)
	{
		char	   *text = pgm_statement_text(run->script, j);

		used = strstr(text, literal) != NULL;
		pfree(text);
	}
	add(run, PGM_RULE_ENUM_VALUE_IN_TRANSACTION, used ? S_ERROR : S_WARNING,
		used ?
		psprintf(_("new value \"%s\" of enum type \"%s\" cannot be used before the transaction that adds it commits, and this file uses it"),
				 stmt->newVal, NameListToString(names)) :
		psprintf(_("new value \"%s\" of enum type \"%s\" cannot be used before the transaction that adds it commits; migrate_apply runs every pending migration in one transaction"),
				 stmt->newVal, NameListToString(names)),
		_("Add the value in a migration of its own whose first line is -- pg_migrate:no-transaction, and use it in later migrations."));
}

/* ---- the file ---- */

static bool
is_ddl(Node *tree)
{
	switch (nodeTag(tree))
	{
		case T_SelectStmt:
		case T_InsertStmt:
		case T_UpdateStmt:
		case T_DeleteStmt:
		case T_MergeStmt:
		case T_VariableSetStmt:
		case T_VariableShowStmt:
		case T_TransactionStmt:
		case T_CopyStmt:
		case T_DoStmt:
		case T_CallStmt:
		case T_ExplainStmt:
		case T_NotifyStmt:
			return false;
		default:
			return true;
	}
}

static void
check_statement(Run *run, Node *tree)
{
	switch (nodeTag(tree))
	{
		case T_CreateStmt:
			check_create_table(run, (CreateStmt *) tree);
			break;
		case T_AlterTableStmt:
			check_alter_table(run, (AlterTableStmt *) tree);
			break;
		case T_IndexStmt:
			check_index(run, (IndexStmt *) tree);
			break;
		case T_DropStmt:
			check_drop(run, (DropStmt *) tree);
			break;
		case T_RenameStmt:
			check_rename(run, (RenameStmt *) tree);
			break;
		case T_TruncateStmt:
			check_truncate(run, (TruncateStmt *) tree);
			break;
		case T_AlterEnumStmt:
			check_enum_value(run, (AlterEnumStmt *) tree);
			break;
		case T_VariableSetStmt:
			note_lock_timeout(run, (VariableSetStmt *) tree);
			break;
		default:
			check_lock_heavy(run, tree);
			check_backfill(run, tree);
			break;
	}
	check_concurrent(run, tree);
	check_lock_timeout(run, tree);
}

void
pgm_lint_rules_file(PgmLintCatalog *cat, PgmScript *script, bool guc_lock_timeout,
					List **findings)
{
	Run			run;
	int			i;

	MemSet(&run, 0, sizeof(run));
	run.cat = cat;
	run.script = script;
	run.findings = findings;
	run.guc_lock_timeout = guc_lock_timeout;
	run.file_ignores = pgm_lint_file_ignores(script);
	for (i = 0; i < script->nstmts; i++)
	{
		Node	   *tree = script->stmts[i].parsetree;

		run.has_ddl = run.has_ddl || is_ddl(tree);
		if (!IsA(tree, VariableSetStmt))
			run.nother++;
	}

	for (i = 0; i < script->nstmts; i++)
	{
		CHECK_FOR_INTERRUPTS();
		run.i = i;
		run.stmt_ignores = NIL;
		run.stmt_ignores_read = false;
		check_statement(&run, script->stmts[i].parsetree);
		pgm_lint_note_created(cat, script->stmts[i].parsetree);
	}
}

List *
pgm_lint_statement_tables(Node *tree)
{
	switch (nodeTag(tree))
	{
		case T_AlterTableStmt:
			return list_make1(((AlterTableStmt *) tree)->relation);
		case T_ClusterStmt:
			return ((ClusterStmt *) tree)->relation ?
				list_make1(((ClusterStmt *) tree)->relation) : NIL;
		case T_TruncateStmt:
			return ((TruncateStmt *) tree)->relations;
		case T_RefreshMatViewStmt:
			return list_make1(((RefreshMatViewStmt *) tree)->relation);
		case T_ReindexStmt:
			return ((ReindexStmt *) tree)->relation ?
				list_make1(((ReindexStmt *) tree)->relation) : NIL;
		case T_IndexStmt:
			return list_make1(((IndexStmt *) tree)->relation);
		case T_UpdateStmt:
			return list_make1(((UpdateStmt *) tree)->relation);
		default:
			return NIL;
	}
}
