/*-------------------------------------------------------------------------
 *
 * policy.c
 *	  Who may read migration folders: the rule of COPY FROM a file.
 *
 * Reading a folder on the server is reading server files, so the caller
 * must be a superuser or a member of pg_read_server_files.  The check runs
 * before any file is touched, even though EXECUTE is also revoked from
 * PUBLIC: a superuser may grant EXECUTE to a role that lacks the right.
 *
 * IDENTIFICATION
 *	  src/policy.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "compat.h"
#include "miscadmin.h"
#include "policy.h"
#include "utils/acl.h"

void
pgm_check_access(void)
{
	Oid			role = GetUserId();

	if (superuser() || has_privs_of_role(role, ROLE_PG_READ_SERVER_FILES))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to read migration folders"),
			 errdetail("Role \"%s\" is neither a superuser nor a member of pg_read_server_files.",
					   GetUserNameFromId(role, false)),
			 errhint("Ask a superuser to run GRANT pg_read_server_files TO %s.",
					 GetUserNameFromId(role, false))));
}
