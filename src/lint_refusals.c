/*-------------------------------------------------------------------------
 *
 * lint_refusals.c
 *	  What a statement can never do in a migration, whatever
 *	  pg_migrate.lint says: transaction control that would change what the
 *	  file does (ROLLBACK, SAVEPOINT, PREPARE TRANSACTION, COMMIT AND CHAIN,
 *	  BEGIN with options: each migration runs as one unit, in a transaction
 *	  already begun) and COPY from or to the client (there is no client).
 *	  Plain BEGIN, START TRANSACTION, COMMIT and END never get here: they
 *	  are no-ops (script.c).
 *
 * IDENTIFICATION
 *	  src/lint_refusals.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lint_refusals.h"
#include "nodes/parsenodes.h"

static const char *
transaction_keyword(TransactionStmt *stmt)
{
	switch (stmt->kind)
	{
		case TRANS_STMT_BEGIN:
		case TRANS_STMT_START:
			return "BEGIN";
		case TRANS_STMT_COMMIT:
			return stmt->chain ? "COMMIT AND CHAIN" : "COMMIT";
		case TRANS_STMT_ROLLBACK:
			return stmt->chain ? "ROLLBACK AND CHAIN" : "ROLLBACK";
		case TRANS_STMT_SAVEPOINT:
			return "SAVEPOINT";
		case TRANS_STMT_RELEASE:
			return "RELEASE";
		case TRANS_STMT_ROLLBACK_TO:
			return "ROLLBACK TO";
		case TRANS_STMT_PREPARE:
			return "PREPARE TRANSACTION";
		case TRANS_STMT_COMMIT_PREPARED:
			return "COMMIT PREPARED";
		case TRANS_STMT_ROLLBACK_PREPARED:
			return "ROLLBACK PREPARED";
	}
	return "transaction control";
}

static PgmProblem *
finding(List **findings, PgmScript *script, int i, const char *rule, int sqlstate,
		char *message, const char *hint)
{
	PgmFile    *file = script->file;
	PgmProblem *p = pgm_problem_add(findings, file->filename, !file->repeatable, file->version,
									PGM_SEVERITY_ERROR, message);

	p->rule = rule;
	p->sqlstate = sqlstate;
	p->hint = hint;
	pgm_script_position(file, script->stmts[i].start, &p->line, &p->column);
	p->excerpt = pgm_statement_excerpt(script, i);
	return p;
}

static void
check_statement(List **findings, PgmScript *script, int i)
{
	Node	   *tree = script->stmts[i].parsetree;
	const char *filename = script->file->filename;

	if (IsA(tree, TransactionStmt) &&
		(((TransactionStmt *) tree)->kind == TRANS_STMT_BEGIN ||
		 ((TransactionStmt *) tree)->kind == TRANS_STMT_START) &&
		((TransactionStmt *) tree)->options != NIL)
		finding(findings, script, i, PGM_RULE_TRANSACTION_CONTROL,
				ERRCODE_INVALID_TRANSACTION_TERMINATION,
				psprintf(_("BEGIN with transaction options is not allowed in migration file \"%s\""),
						 filename),
				_("Each migration runs in a transaction already begun, at the caller's isolation level (READ COMMITTED in background workers), which a BEGIN inside the file cannot change. Remove the options; a plain BEGIN or COMMIT is ignored."));
	else if (IsA(tree, TransactionStmt))
		finding(findings, script, i, PGM_RULE_TRANSACTION_CONTROL,
				ERRCODE_INVALID_TRANSACTION_TERMINATION,
				psprintf(_("%s is not allowed in migration file \"%s\""),
						 transaction_keyword((TransactionStmt *) tree), filename),
				_("Each migration runs as one transaction, all or nothing; this statement would change what the file does. Remove it; a plain BEGIN, COMMIT or END is ignored."));
	else if (IsA(tree, CopyStmt) &&
			 ((CopyStmt *) tree)->filename == NULL &&
			 !((CopyStmt *) tree)->is_program)
		finding(findings, script, i, PGM_RULE_COPY_CLIENT,
				ERRCODE_FEATURE_NOT_SUPPORTED,
				((CopyStmt *) tree)->is_from ?
				psprintf(_("COPY FROM STDIN is not supported in migration file \"%s\""), filename) :
				psprintf(_("COPY TO STDOUT is not supported in migration file \"%s\""), filename),
				_("Migrations run inside the server, with no client to send or receive data. Use INSERT statements, or COPY from a file on the server."));
}

List *
pgm_lint_script(PgmScript *script)
{
	List	   *findings = NIL;
	int			i;

	for (i = 0; i < script->nstmts; i++)
		check_statement(&findings, script, i);
	return findings;
}

void
pgm_lint_enforce(PgmScript *script)
{
	ListCell   *lc;

	foreach(lc, pgm_lint_script(script))
	{
		PgmProblem *p = (PgmProblem *) lfirst(lc);

		if (strcmp(p->severity, PGM_SEVERITY_ERROR) != 0)
			continue;
		/* the message was translated where the rule built it */
		ereport(ERROR,
				(errcode(p->sqlstate),
				 errmsg_internal("%s", p->problem),
				 errhint("%s", p->hint),
				 errcontext("migration file \"%s\", line %d, column %d: %s",
							p->file, p->line, p->column, p->excerpt)));
	}
}
