# Security and robustness of the worker path (jobs and the scheduler, one
# commit per migration, no-transaction files statement by statement):
#
#   item 3   bookkeeping is out of reach of a database owner's operators
#   item 5   progress read back is validated, never trusted
#   item 7   migrate_repair and migrate_force forget progress
#   item 8   a statement and the record that it ran commit together; a
#            retry verifies what it resumes at
#   item 17  settings a no-transaction migration makes stay in it; a
#            resumed migration gets its own back
#   item 19  the INVALID index of a failed unnamed CREATE INDEX
#            CONCURRENTLY is dropped
#   item 21  a cancel of the scheduler's migration is logged, recorded
#            and retried
#   item 24  DISCARD ALL and statements refused in a transaction block are
#            reported truthfully
#
# Each scenario runs in a database of its own: add one by calling fresh_db
# and following the pattern (folder, job, assertions on rows and log).
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('worker_path');
$node->init;
# a lock_timeout the runs set for their session, and that never fires here
$node->append_conf('postgresql.conf', "restart_after_crash = on\npg_migrate.lock_timeout = '10min'\n");
$node->start;

# Submits a job in $db and waits for it to end; returns its state and error.
sub run_job
{
	my ($db, $dir) = @_;
	my $job = $node->safe_psql($db, "SELECT migrate_apply_async('$dir')");
	$node->poll_query_until($db,
		"SELECT state IN ('succeeded', 'failed', 'canceled') FROM migrate_jobs WHERE job_id = $job")
	  or return ('did not end', '');
	return split /\|/,
	  $node->safe_psql($db, "SELECT state, coalesce(error, '') FROM migrate_jobs WHERE job_id = $job"),
	  2;
}

# A job that fails, a hand repair ($fix), and a job that retries: returns
# the first job's error and the retry's state.
sub fail_repair_retry
{
	my ($db, $dir, $fix) = @_;
	my (undef, $first) = run_job($db, $dir);
	$node->safe_psql($db, $fix);
	my ($retried) = run_job($db, $dir);
	return ($first, $retried);
}

# A session in $db that runs $sql in an open transaction and then sleeps,
# holding its locks until the server restarts or the harness is killed.
sub hold
{
	my ($db, $sql) = @_;
	my ($out, $err) = ('', '');
	return IPC::Run::start(
		[ 'psql', '-XAtq', '-d', $node->connstr($db), '-c',
		  "BEGIN; $sql; SELECT pg_sleep(3600);" ],
		'>', \$out, '2>', \$err);
}

# kill -9 of job $job's worker while $holder makes it wait: the server
# restarts (ending the holder's session too).
sub crash_job
{
	my ($db, $job, $holder) = @_;
	kill 'KILL', $node->safe_psql($db, "SELECT pid FROM migrate_jobs WHERE job_id = $job");
	$holder->finish;
	$node->poll_query_until($db, 'SELECT true') or die 'the server did not come back';
	return;
}

sub set_progress
{
	my ($db, $dir, $version, $done) = @_;
	$node->safe_psql($db,
		"INSERT INTO pgmigrate.progress (version, direction, checksum, statements_done) "
		  . "SELECT version, 'up', checksum, $done FROM migrate_status('$dir') WHERE version = $version "
		  . "ON CONFLICT (version, direction) DO UPDATE "
		  . "SET checksum = EXCLUDED.checksum, statements_done = EXCLUDED.statements_done");
	return;
}

my ($state, $error, $ret, $out, $err);

#
# Item 5: a progress row is validated before use.  A negative count made
# the job worker index before its statements (SIGSEGV, every session
# restarted); one at or past the count recorded the migration applied
# without running it.
#
fresh_db($node, 'item5');
my $dir5 = new_folder();
write_migration($dir5, '1_two.up.sql',
	"-- pg_migrate:no-transaction\nCREATE TABLE a5 (id int);\nCREATE TABLE b5 (id int);\n");
for my $bad (-1, 2, 7)
{
	set_progress('item5', $dir5, 1, $bad);
	($state, $error) = run_job('item5', $dir5);
	is($state, 'failed', "progress $bad: the job fails");
	like($error, qr/^XX001: invalid progress recorded for migration 1 "two"/,
		"progress $bad: the error says the progress cannot be trusted");
	is($node->safe_psql('item5',
			"SELECT to_regclass('a5') IS NULL AND to_regclass('b5') IS NULL"),
		't', "progress $bad: nothing of the migration ran");
	isnt($node->safe_psql('item5', "SELECT state FROM migrate_status() WHERE version = 1"),
		'applied', "progress $bad: the migration is not recorded applied");
}
is(log_count($node, qr/terminated by signal/), 0, 'no worker crashed');
like($node->safe_psql('item5', "SELECT string_agg(action, ';') FROM migrate_repair('$dir5')"),
	qr/progress cleared: 7 statements had run/, 'migrate_repair clears the bad row and says so');
($state) = run_job('item5', $dir5);
is($state, 'succeeded', 'after migrate_repair the migration runs from its first statement');
is($node->safe_psql('item5', "SELECT to_regclass('a5') IS NOT NULL AND to_regclass('b5') IS NOT NULL"),
	't', 'both statements ran');

#
# Item 7: after a hand repair, migrate_repair and migrate_force make the
# retry start at the first statement instead of resuming past statements
# the repair undid.
#
for my $how ('repair', 'force')
{
	my $db = "item7_$how";
	fresh_db($node, $db);
	$node->safe_psql($db, 'CREATE TABLE src7 (id int); INSERT INTO src7 VALUES (1), (1)');
	my $dir = new_folder();
	write_migration($dir, '1_half.up.sql',
		"-- pg_migrate:no-transaction\nCREATE TABLE t7 (id int);\n"
		  . "CREATE UNIQUE INDEX CONCURRENTLY src7_key ON src7 (id);\n");
	($state, $error) = run_job($db, $dir);
	like($error, qr/^23505: /, "$how: the second statement fails");
	is($node->safe_psql($db, 'SELECT statements_done FROM pgmigrate.progress WHERE version = 1'),
		'1', "$how: the first statement is recorded done");

	# the hand repair undoes the first statement and fixes the data
	$node->safe_psql($db, 'DROP TABLE t7; DELETE FROM src7; INSERT INTO src7 VALUES (1)');
	if ($how eq 'repair')
	{
		is($node->safe_psql($db, "SELECT string_agg(action, ';' ORDER BY action) FROM migrate_repair('$dir')"),
			'failed attempt cleared;progress cleared: 1 statements had run',
			'migrate_repair clears the failed attempt and the progress');
	}
	else
	{
		$node->safe_psql($db, 'SELECT migrate_force(0)');
	}
	is($node->safe_psql($db, 'SELECT count(*) FROM pgmigrate.progress'), '0',
		"$how: no progress is left");
	($state, $error) = run_job($db, $dir);
	is($state, 'succeeded', "$how: the retry succeeds");
	is($node->safe_psql($db, "SELECT to_regclass('t7') IS NOT NULL"), 't',
		"$how: the retry ran the first statement again");
}

#
# Item 8: a restart between a statement's commit and its progress row made
# the retry run the statement again.  The progress row is written in the
# statement's own transaction: a restart while it waits undoes both.
#
fresh_db($node, 'item8');
$node->safe_psql('item8', 'CREATE TABLE counter8 (id int)');
my $dir8 = new_folder();
write_migration($dir8, '1_data.up.sql',
	"-- pg_migrate:no-transaction\nINSERT INTO counter8 VALUES (1);\nINSERT INTO counter8 VALUES (2);\n");
my $holder = hold('item8', 'LOCK TABLE pgmigrate.progress IN SHARE MODE');
ok($node->poll_query_until('item8',
		"SELECT count(*) = 1 FROM pg_locks WHERE relation = 'pgmigrate.progress'::regclass "
		  . "AND mode = 'ShareLock' AND granted"),
	'another session blocks writes to pgmigrate.progress');
my $job8 = $node->safe_psql('item8', "SELECT migrate_apply_async('$dir8')");
ok($node->poll_query_until('item8',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_migrate job' "
		  . "AND wait_event_type = 'Lock' AND wait_event = 'relation'"),
	'the job ran its first statement and waits to record it');
crash_job('item8', $job8, $holder);
($state) = run_job('item8', $dir8);
is($state, 'succeeded', 'the retry after the restart succeeds');
is($node->safe_psql('item8', "SELECT string_agg(id::text, ',' ORDER BY id) FROM counter8"), '1,2',
	'each statement took effect once');

# A retry counts the statement it resumes at done when its effect is there.
fresh_db($node, 'item8v');
$node->safe_psql('item8v', 'CREATE TABLE t8 (a int, b int); INSERT INTO t8 VALUES (1, 1), (2, 1)');
my $dir8v = new_folder();
write_migration($dir8v, '1_idx.up.sql',
	"-- pg_migrate:no-transaction\nCREATE INDEX CONCURRENTLY t8_a_idx ON t8 (a);\n"
	  . "CREATE UNIQUE INDEX CONCURRENTLY t8_b_key ON t8 (b);\n");
# the hand repair does the second statement's work
($error, $state) = fail_repair_retry('item8v', $dir8v,
	'DELETE FROM t8 WHERE a = 2; DROP INDEX IF EXISTS t8_b_key; CREATE UNIQUE INDEX t8_b_key ON t8 (b)');
like($error, qr/^23505: /, 'the unique index fails on duplicates');
is($state, 'succeeded', 'the retry succeeds instead of failing on the existing index');
ok(log_count($node, qr/statement 2 of migration 1 "idx" already took effect: index public.t8_b_key exists and is valid/) == 1,
	'and logs that it counted the statement done');

fresh_db($node, 'item8d');
my $dir8d = new_folder();
write_migration($dir8d, '1_drop.up.sql', "DROP INDEX CONCURRENTLY t8_gone_idx;\n");
($state, $error) = run_job('item8d', $dir8d);
like($error, qr/^42704: index "t8_gone_idx" does not exist/, 'dropping a missing index fails');
($state, $error) = run_job('item8d', $dir8d);
is($state, 'succeeded', 'its retry counts the drop done: the index is gone');

# DETACH PARTITION CONCURRENTLY interrupted after its first transaction:
# the retry finalizes the detach instead of failing on the pending one.
fresh_db($node, 'item8p');
my $dir8p = new_folder();
$node->safe_psql('item8p',
	'CREATE TABLE parent8 (id int) PARTITION BY RANGE (id); '
	  . 'CREATE TABLE part8 PARTITION OF parent8 FOR VALUES FROM (0) TO (10)');
write_migration($dir8p, '1_detach.up.sql',
	"ALTER TABLE parent8 DETACH PARTITION part8 CONCURRENTLY;\n");
$holder = hold('item8p', 'SELECT count(*) FROM parent8');
ok($node->poll_query_until('item8p',
		"SELECT count(*) = 1 FROM pg_locks WHERE relation = 'parent8'::regclass AND granted "
		  . "AND pid <> pg_backend_pid()"),
	'another session reads the partitioned table');
my $job8d = $node->safe_psql('item8p', "SELECT migrate_apply_async('$dir8p')");
ok($node->poll_query_until('item8p',
		"SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = 'part8'::regclass"),
	'the detach committed its first transaction and waits for the reader');
crash_job('item8p', $job8d, $holder);
($state, $error) = run_job('item8p', $dir8p);
is($state, 'succeeded', 'the retry of the interrupted detach succeeds');
is($node->safe_psql('item8p', "SELECT count(*) FROM pg_inherits WHERE inhrelid = 'part8'::regclass"),
	'0', 'the partition is detached');
ok(log_count($node, qr/part8 is pending detach from public.parent8/) == 1,
	'the retry finalized the pending detach');

#
# Item 17: settings a no-transaction migration makes (search_path,
# lock_timeout, role) last until its end; the next migration of the same worker session starts
# from the session's.  A resumed migration makes its skipped SETs again.
#
fresh_db($node, 'item17');
my $dir17 = new_folder();
write_migration($dir17, '1_schema.up.sql', "CREATE SCHEMA other;\nCREATE TABLE other.t17 (a int);\n");
write_migration($dir17, '2_index.up.sql',
	"SET search_path = other;\nSET lock_timeout = 0;\nCREATE INDEX CONCURRENTLY t17_a_idx ON t17 (a);\n");
write_migration($dir17, '3_next.up.sql',
	"CREATE TABLE leak17 AS SELECT current_setting('lock_timeout') AS lock_timeout;\n");
($state, $error) = run_job('item17', $dir17);
is($state, 'succeeded', 'the job applies the three migrations');
my $where17 = $node->safe_psql('item17',
	"SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	  . "WHERE c.relname = 'leak17'");
is($where17, 'public', 'the next migration ran with the session search_path');
is($where17 eq '' ? '' : $node->safe_psql('item17', "SELECT lock_timeout FROM $where17.leak17"),
	'10min', 'and with the lock_timeout the run set, not the one the migration set');

fresh_db($node, 'item17role');
$node->safe_psql('item17role', 'CREATE ROLE app17 NOLOGIN');
my $dir17o = new_folder();
write_migration($dir17o, '1_schema.up.sql',
	"CREATE SCHEMA other;\nGRANT USAGE, CREATE ON SCHEMA other TO app17;\n");
write_migration($dir17o, '2_role.up.sql',
	"-- pg_migrate:no-transaction\nSET search_path = other;\nSET ROLE app17;\nCREATE TABLE owned17 (id int);\n");
write_migration($dir17o, '3_next.up.sql', "CREATE TABLE public.mine17 (id int);\n");
($state, $error) = run_job('item17role', $dir17o);
is($state, 'succeeded', 'a migration that sets a role does not break the bookkeeping');
is($node->safe_psql('item17role',
		"SELECT string_agg(relname || ':' || relowner::regrole, ',' ORDER BY relname) FROM pg_class "
		  . "WHERE relname IN ('owned17', 'mine17')"),
	'mine17:' . $node->safe_psql('item17role', 'SELECT current_user') . ',owned17:app17',
	'the migration ran as the role it set, the next one as the job role');
is($node->safe_psql('item17role', "SELECT string_agg(DISTINCT applied_by::text, ',') FROM pgmigrate.history"),
	$node->safe_psql('item17role', 'SELECT current_user'),
	'the bookkeeping ran as the job role, not as the migration\'s role');

fresh_db($node, 'item17r');
$node->safe_psql('item17r',
	'CREATE SCHEMA other; CREATE TABLE other.u17 (b int); INSERT INTO other.u17 VALUES (1), (1)');
my $dir17r = new_folder();
write_migration($dir17r, '1_key.up.sql',
	"SET search_path = other;\nCREATE UNIQUE INDEX CONCURRENTLY u17_b_key ON u17 (b);\n");
($error, $state) = fail_repair_retry('item17r', $dir17r,
	'DELETE FROM other.u17; INSERT INTO other.u17 VALUES (1)');
like($error, qr/^23505: /, 'the unique index fails on duplicates');
is($state, 'succeeded', 'the resumed migration finds its table through its own search_path');
is($node->safe_psql('item17r', "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('other.u17_b_key')"),
	't', 'the index was built');

#
# Item 19: a failed unnamed CREATE INDEX CONCURRENTLY leaves no INVALID
# index: the retry builds the index under the name it would have had.
#
fresh_db($node, 'item19');
$node->safe_psql('item19', 'CREATE TABLE big19 (v int); INSERT INTO big19 VALUES (1), (1)');
my $dir19 = new_folder();
write_migration($dir19, '1_key.up.sql', "CREATE UNIQUE INDEX CONCURRENTLY ON big19 (v);\n");
($state, $error) = run_job('item19', $dir19);
like($error, qr/^23505: .*left index public\.big19_v_idx INVALID; it was dropped/s,
	'the error names the INVALID index and says it was dropped');
is($node->safe_psql('item19', "SELECT count(*) FROM pg_index WHERE indrelid = 'big19'::regclass"),
	'0', 'no index is left behind');
$node->safe_psql('item19', 'DELETE FROM big19; INSERT INTO big19 VALUES (1)');
($state) = run_job('item19', $dir19);
is($state, 'succeeded', 'the retry succeeds');
is($node->safe_psql('item19',
		"SELECT string_agg(c.relname || ':' || i.indisvalid, ',') FROM pg_index i "
		  . "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'big19'::regclass"),
	'big19_v_idx:true', 'one valid index, under the name it would have had');

#
# Item 24: DISCARD ALL is refused in every path before anything runs, and
# what PostgreSQL refuses in a transaction block says so.
#
fresh_db($node, 'item24');
my $dir24 = new_folder();
write_migration($dir24, '1_discard.up.sql', "CREATE TABLE before24 (id int);\nDISCARD ALL;\n");
($ret, $out, $err) = $node->psql('item24', "SELECT * FROM migrate_apply('$dir24')");
like($err, qr/ERROR:  DISCARD ALL is not allowed in a migration/, 'migrate_apply refuses DISCARD ALL');
unlike($err, qr/cannot be executed from a function/, 'without SPI\'s wording');
like($err, qr/CONTEXT:  migration file "1_discard.up.sql", line 2, column 1: DISCARD ALL/,
	'the error names the file and line');
write_migration($dir24, '1_discard.up.sql',
	"-- pg_migrate:no-transaction\nCREATE TABLE before24 (id int);\nDISCARD ALL;\n");
($state, $error) = run_job('item24', $dir24);
like($error, qr/^0A000: DISCARD ALL is not allowed in a migration/, 'a job refuses DISCARD ALL');
is($node->safe_psql('item24', "SELECT to_regclass('before24') IS NULL"), 't',
	'before running anything of the file');

my $dir24s = new_folder();
write_migration($dir24s, '1_sub.up.sql',
	"CREATE SUBSCRIPTION sub24 CONNECTION 'dbname=nowhere' PUBLICATION p;\n");
($ret, $out, $err) = $node->psql('item24', "SELECT * FROM migrate_apply('$dir24s')");
like($err,
	qr/ERROR:  CREATE SUBSCRIPTION ... WITH \(create_slot = true\) cannot run inside a transaction block/,
	'a statement refused in a transaction block says so');
like($err, qr/HINT:  Put "-- pg_migrate:no-transaction" on the first line of migration file "1_sub.up.sql"/,
	'with the way out');

#
# Item 3: a database owner's look-alike operators never run in the
# bookkeeping of a superuser's job, whatever search_path the database sets.
#
$node->safe_psql('postgres', 'CREATE ROLE owner3 LOGIN; CREATE DATABASE item3 OWNER owner3');
$node->safe_psql('item3', 'CREATE EXTENSION pg_migrate');
$node->safe_psql('item3', q{
	SET ROLE owner3;
	CREATE TABLE public.pwned3 (who name, backend text);
	GRANT INSERT ON public.pwned3 TO PUBLIC;
	CREATE FUNCTION public.note3() RETURNS void LANGUAGE sql AS
		'INSERT INTO public.pwned3 SELECT current_user, a.backend_type FROM pg_catalog.pg_stat_activity a
		 WHERE a.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()';
	CREATE FUNCTION public.eq3(oid, oid) RETURNS boolean LANGUAGE plpgsql AS
		'BEGIN PERFORM public.note3(); RETURN $1 OPERATOR(pg_catalog.=) $2; END';
	CREATE OPERATOR public.= (FUNCTION = public.eq3, LEFTARG = oid, RIGHTARG = oid);
	CREATE FUNCTION public.eq3(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS
		'BEGIN PERFORM public.note3(); RETURN $1 OPERATOR(pg_catalog.=) $2; END';
	CREATE OPERATOR public.= (FUNCTION = public.eq3, LEFTARG = bigint, RIGHTARG = bigint);
	CREATE FUNCTION public.eq3(text, text) RETURNS boolean LANGUAGE plpgsql AS
		'BEGIN PERFORM public.note3(); RETURN $1 OPERATOR(pg_catalog.=) $2; END';
	CREATE OPERATOR public.= (FUNCTION = public.eq3, LEFTARG = text, RIGHTARG = text);
	ALTER DATABASE item3 SET search_path = public, pg_catalog;
	CREATE TABLE public.t3 (a int, b int);
	INSERT INTO public.t3 VALUES (1, 1), (2, 1);
});
my $dir3 = new_folder();
write_migration($dir3, '1_idx.up.sql',
	"CREATE INDEX CONCURRENTLY t3_a_idx ON t3 (a);\nCREATE UNIQUE INDEX CONCURRENTLY t3_b_key ON t3 (b);\n");
($error, $state) = fail_repair_retry('item3', $dir3, 'DELETE FROM t3 WHERE a = 2');
like($error, qr/^23505: /, 'the job fails at its second statement');
is($state, 'succeeded', 'its retry resumes and succeeds');
is($node->safe_psql('item3',
		"SELECT count(*) FROM public.pwned3 WHERE backend OPERATOR(pg_catalog.=) 'pg_migrate job'"),
	'0', 'no operator of the database owner ran in the job');
ok($node->safe_psql('item3', 'SELECT count(*) FROM public.pwned3') > 0,
	'while the same operators did run in this client session, so the trap works');

$node->stop;

#
# Item 21: cancelling the scheduler's running migration is logged, recorded
# as a failed attempt, and the next look at the folder retries it although
# no file changed.
#
my $dir21 = new_folder();
my $sched = preloaded_node('cancel21',
	'pg_migrate.database' => 'postgres',
	'pg_migrate.directory' => $dir21,
	'pg_migrate.role' => scalar(getpwuid($<)),
	'pg_migrate.interval' => '1s');
$sched->safe_psql('postgres', 'CREATE TABLE gate21 (block boolean); INSERT INTO gate21 VALUES (true)');
write_migration($dir21, '1_slow.up.sql',
	"CREATE TABLE slow21 (id int);\nSELECT pg_sleep(3600) FROM gate21 WHERE block;\n");
ok($sched->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_migrate scheduler' "
		  . "AND wait_event = 'PgSleep'"),
	'the scheduler runs the slow migration');
$sched->safe_psql('postgres', 'UPDATE gate21 SET block = false');
$sched->safe_psql('postgres',
	"SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE backend_type = 'pg_migrate scheduler'");
$sched->wait_for_log(qr/migration 1 "slow" was canceled/);
ok($sched->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pgmigrate.history WHERE version = 1 AND state = 'failed' "
		  . "AND error LIKE '57014: canceling statement due to user request%'"),
	'the cancel is recorded as a failed attempt');
ok($sched->poll_query_until('postgres', "SELECT state FROM migrate_status() WHERE version = 1", 'applied'),
	'the next look at the folder retries it');
is($sched->safe_psql('postgres', "SELECT to_regclass('slow21') IS NOT NULL"), 't',
	'and applies it');
$sched->stop;

done_testing();
