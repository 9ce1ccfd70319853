/*-------------------------------------------------------------------------
 *
 * onemsg.c
 *	  The one-message floor of `make bench`: sends a whole file as ONE
 *	  simple Query message (PQexec), so the server runs every statement in
 *	  turn in one implicit transaction, with no client round trip between
 *	  them.  Then prints the server-side seconds of that message and the
 *	  backend's peak RSS (VmHWM, kB) on stdout.
 *
 *	  usage: onemsg FILE   (connection from the PG* environment)
 *
 * IDENTIFICATION
 *	  bench/onemsg.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <libpq-fe.h>

static void
fail(PGconn *conn, PGresult *res, const char *what)
{
	fprintf(stderr, "onemsg: %s: %s", what,
			res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
	exit(1);
}

int
main(int argc, char **argv)
{
	FILE	   *f;
	long		len;
	char	   *sql;
	PGconn	   *conn;
	PGresult   *res;

	if (argc != 2)
	{
		fprintf(stderr, "usage: onemsg FILE\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0)
	{
		perror(argv[1]);
		return 1;
	}
	rewind(f);
	sql = malloc(len + 1);
	if (sql == NULL || fread(sql, 1, len, f) != (size_t) len)
	{
		perror(argv[1]);
		return 1;
	}
	sql[len] = '\0';
	fclose(f);

	conn = PQconnectdb("");
	if (PQstatus(conn) != CONNECTION_OK)
		fail(conn, NULL, "connection");
	res = PQexec(conn, "SELECT set_config('bench.t0', clock_timestamp()::text, false)");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fail(conn, res, "clock");
	PQclear(res);
	/* the floor: one Query message with every statement */
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		fail(conn, res, argv[1]);
	PQclear(res);
	res = PQexec(conn,
				 "SELECT extract(epoch FROM clock_timestamp() - current_setting('bench.t0')::timestamptz),"
				 " (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\\s*(\\d+) kB'))[1]");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fail(conn, res, "after");
	printf("%s %s\n", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	PQclear(res);
	PQfinish(conn);
	return 0;
}
