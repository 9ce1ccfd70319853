# Security of the background path (issue 8): who may do what, what runs as
# whom, and what the workers trust.
#
#   item 1   bookkeeping tables (jobs, schedules, progress) take no DML or
#            LOCK from members of pg_read_server_files; members see their
#            own jobs and schedules only (migrate_jobs, migrate_schedules);
#            a schedule or job runs as the role that called the function,
#            checked again before it runs
#   item 3   the scheduler's and jobs' bookkeeping never calls a database
#            owner's operators, whatever search_path the database sets
#   item 20  a role that may not log in is refused at submission; a job
#            that fails outside a migration records why
#   role     the preloaded worker applies pg_migrate.directory only as
#            pg_migrate.role, and nothing while it is unset
#
# The attacker is "mallory", a member of pg_read_server_files who can write
# a folder inside pg_migrate.allowed_directories; "alice" is another
# member.  Schedules live in one database, whose history belongs to one
# folder: scenarios there add the next version to $shared (add_version),
# and remove it again when it must not run.  To add a scenario: add a
# version, act as a role with as_role, and assert on rows, states and
# error texts.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $superuser = getpwuid($<);
my $base = PostgreSQL::Test::Utils::tempdir;
my $node = preloaded_node('security_bg',
	'pg_migrate.database' => 'postgres',
	'pg_migrate.allowed_directories' => $base,
	'pg_migrate.interval' => '1s');
$node->safe_psql('postgres', q{
	CREATE EXTENSION pg_migrate;
	CREATE ROLE mallory LOGIN IN ROLE pg_read_server_files;
	CREATE ROLE alice LOGIN IN ROLE pg_read_server_files;
	CREATE ROLE deployer LOGIN IN ROLE pg_read_server_files;
	CREATE ROLE shy NOLOGIN IN ROLE pg_read_server_files;
	GRANT CREATE ON SCHEMA public TO mallory, alice, deployer, shy;
});

# A folder inside the allowed directories, with the given files.
my $nfolders = 0;
sub member_folder
{
	my (%files) = @_;
	my $dir = "$base/f" . ++$nfolders;
	mkdir $dir or die "mkdir $dir: $!";
	write_migration($dir, $_, $files{$_}) for keys %files;
	return $dir;
}

# The folder of database postgres; add_version writes its next migration
# and returns the file's path.
my $shared = member_folder();
my $version = 0;
sub add_version
{
	my ($name, $sql) = @_;
	$version++;
	write_migration($shared, "${version}_$name.up.sql", $sql);
	return "$shared/${version}_$name.up.sql";
}

# Takes back a migration that was refused before it ran.
sub drop_version
{
	my ($file) = @_;
	unlink $file or die "unlink $file: $!";
	$version--;
	return;
}

# Runs SQL connected as a role; returns (exit code, stdout, stderr).
sub as_role
{
	my ($role, $sql) = @_;
	return $node->psql('postgres', $sql, extra_params => [ '-U', $role ]);
}

sub job_done
{
	my ($job) = @_;
	return $node->poll_query_until('postgres',
		"SELECT state IN ('succeeded', 'failed', 'canceled') FROM migrate_jobs WHERE job_id = $job");
}

my ($ret, $out, $err);

#
# Item 1: members of pg_read_server_files could write pgmigrate.schedules
# (the role column included), jobs and progress, and lock them; a schedule
# naming a superuser ran the member's folder as superuser.
#
add_version('forged', "CREATE TABLE forged AS SELECT current_user::text AS who;\n");
for my $attack (
	"DELETE FROM pgmigrate.schedules",
	"INSERT INTO pgmigrate.schedules (dir, run_at, role) VALUES ('$shared', now(), '$superuser')",
	"UPDATE pgmigrate.schedules SET role = '$superuser'",
	"INSERT INTO pgmigrate.jobs (dir, role) VALUES ('$shared', '$superuser')",
	"UPDATE pgmigrate.jobs SET dir = '$shared'",
	"INSERT INTO pgmigrate.progress (version, checksum, statements_done) VALUES (1, 'x', 1)",
	"UPDATE pgmigrate.progress SET statements_done = 0",
	"DELETE FROM pgmigrate.progress",
	"TRUNCATE pgmigrate.jobs",
	"SELECT * FROM pgmigrate.schedules",
	"SELECT * FROM pgmigrate.jobs",
	"BEGIN; LOCK TABLE pgmigrate.schedules IN EXCLUSIVE MODE; COMMIT",
	"BEGIN; LOCK TABLE pgmigrate.jobs IN SHARE ROW EXCLUSIVE MODE; COMMIT",
	"BEGIN; LOCK TABLE pgmigrate.progress IN ROW EXCLUSIVE MODE; COMMIT")
{
	($ret, $out, $err) = as_role('mallory', $attack);
	like($err, qr/ERROR:  permission denied for table (schedules|jobs|progress)/,
		"a member is refused: $attack");
}

# whatever the attempts left is run (in 1.0: the forged schedule, as the
# superuser); then the member's own schedule runs the same file as the member
$node->safe_psql('postgres', 'SELECT migrate_wakeup()');
ok($node->poll_query_until('postgres',
		"SELECT (SELECT count(*) FROM pgmigrate.schedules) + "
		  . "(SELECT count(*) FROM migrate_jobs WHERE state IN ('queued', 'running')) = 0"),
	'no schedule is left to run');
my $sched = (as_role('mallory', "SELECT migrate_schedule('$shared', now())"))[1];
ok($node->poll_query_until('postgres',
		"SELECT v.state = 'succeeded' FROM migrate_jobs v JOIN pgmigrate.jobs r ON r.job_id = v.job_id "
		  . "WHERE r.schedule_id = $sched"),
	'the member\'s schedule ran');
is($node->safe_psql('postgres', 'SELECT who, pg_get_userbyid(relowner) FROM forged, pg_class WHERE oid = \'forged\'::regclass'),
	'mallory|mallory', 'the member\'s SQL ran as the member, never as a superuser');
is($node->safe_psql('postgres', "SELECT role, dir FROM migrate_jobs WHERE role <> 'mallory'"), '',
	'every job recorded names the role that called the function');

# members see what concerns them: their own jobs and schedules
add_version('alice', "CREATE TABLE alice_t (id int);\n");
my $alice_job = (as_role('alice', "SELECT migrate_apply_async('$shared')"))[1];
job_done($alice_job);
my $alice_sched = (as_role('alice',
		"SELECT migrate_schedule('$shared', now() + interval '1 day', interval '1 day')"))[1];
is((as_role('mallory',
			"SELECT (SELECT count(*) FROM migrate_jobs WHERE role = 'alice') + "
			  . "(SELECT count(*) FROM migrate_schedules WHERE role = 'alice')"))[1],
	'0', 'a member does not see another member\'s jobs and schedules');
($ret, $out, $err) = as_role('mallory',
	"CREATE FUNCTION pg_temp.peek(text) RETURNS boolean LANGUAGE plpgsql COST 0.0001 AS "
	  . "'BEGIN RAISE NOTICE ''peek: %'', \$1; RETURN true; END'; "
	  . "SELECT count(*) FROM migrate_jobs WHERE pg_temp.peek(role::text); "
	  . "SELECT count(*) FROM migrate_schedules WHERE pg_temp.peek(role::text)");
like($err, qr/NOTICE:  peek: mallory/, 'a function in a member\'s query sees its own rows');
unlike($err, qr/peek: alice/, 'and none of another member\'s');
is((as_role('alice',
			"SELECT (SELECT count(*) FROM migrate_jobs) || ',' || (SELECT count(*) FROM migrate_schedules)"))[1],
	'1,1', 'a member sees its own');
($ret, $out, $err) = as_role('mallory', "SELECT migrate_wait($alice_job)");
like($err, qr/ERROR:  migration job $alice_job does not exist/, 'nor waits for them');
($ret, $out, $err) = as_role('mallory', "SELECT migrate_cancel($alice_job)");
like($err, qr/ERROR:  migration job $alice_job does not exist/, 'nor cancels them');
is((as_role('mallory', "SELECT migrate_unschedule($alice_sched)"))[1], 'f',
	'nor removes another member\'s schedule');
is($node->safe_psql('postgres', "SELECT count(*) FROM pgmigrate.schedules WHERE schedule_id = $alice_sched"),
	'1', 'which is still there');
is((as_role('alice', "SELECT migrate_unschedule($alice_sched)"))[1], 't',
	'its owner removes it');

# a job checks again, when it starts, that its role may read folders
my $file = add_version('revoked', "CREATE TABLE revoked_t (id int);\n");
my $job = $node->safe_psql('postgres',
	"BEGIN; SET ROLE alice; SELECT migrate_apply_async('$shared'); RESET ROLE; "
	  . "REVOKE pg_read_server_files FROM alice; COMMIT;");
job_done($job);
is($node->safe_psql('postgres', "SELECT state, error FROM migrate_jobs WHERE job_id = $job"),
	'failed|42501: permission denied to read migration folders. Role "alice" is neither a superuser nor a member of pg_read_server_files.',
	'a job whose role left pg_read_server_files fails with the reason');
is($node->safe_psql('postgres', "SELECT to_regclass('revoked_t') IS NULL"), 't', 'and runs nothing');
$node->safe_psql('postgres', 'GRANT pg_read_server_files TO alice');

# a schedule checks again, before each run, that its role may run it:
# alice schedules, and in the same transaction her role changes
for my $case (
	[ 'SUPERUSER', 'NOSUPERUSER', 'became a superuser since',
		qr/^failed\|42501: role "alice" was not a superuser when it created schedule \d+/ ],
	[ 'NOLOGIN', 'LOGIN', 'may no longer log in',
		qr/^failed\|28000: role "alice" is not permitted to log in/ ])
{
	my ($change, $undo, $what, $error) = @$case;
	my $last = $node->safe_psql('postgres', 'SELECT coalesce(max(job_id), 0) FROM pgmigrate.jobs');
	$node->safe_psql('postgres',
		"BEGIN; SET ROLE alice; SELECT migrate_schedule('$shared', now()); RESET ROLE; "
		  . "ALTER ROLE alice $change; COMMIT;");
	ok($node->poll_query_until('postgres',
			"SELECT count(*) = 1 FROM migrate_jobs WHERE job_id > $last AND state IN ('succeeded', 'failed')"),
		"a schedule whose role $what had its turn");
	like($node->safe_psql('postgres', "SELECT state, error FROM migrate_jobs WHERE job_id > $last"),
		$error, 'its job failed, saying why');
	is($node->safe_psql('postgres', "SELECT to_regclass('revoked_t') IS NULL"), 't', 'nothing ran');
	$node->safe_psql('postgres', "ALTER ROLE alice $undo");
}
drop_version($file);

# a schedule recorded by 1.0, when any member could write the table, is
# not trusted: removed, with a failed job saying so
$file = add_version('old', "CREATE TABLE old_t AS SELECT current_user::text AS who;\n");
$node->safe_psql('postgres',
	"INSERT INTO pgmigrate.schedules (dir, run_at, role) VALUES ('$shared', now(), '$superuser')");
$node->safe_psql('postgres', 'SELECT migrate_wakeup()');
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM migrate_jobs WHERE error LIKE '%was recorded before pg_migrate 1.1%'"),
	'a schedule recorded before 1.1 is not run');
like($node->safe_psql('postgres', "SELECT state, error FROM migrate_jobs ORDER BY job_id DESC LIMIT 1"),
	qr/^failed\|42501: schedule \d+ was recorded before pg_migrate 1\.1/, 'its job says why');
is($node->safe_psql('postgres', "SELECT count(*) FROM pgmigrate.schedules"), '0', 'and it is removed');
is($node->safe_psql('postgres', "SELECT to_regclass('old_t') IS NULL"), 't', 'nothing ran');
drop_version($file);

# the 1.1 update takes the privileges away from a 1.0 installation
$node->safe_psql('postgres', 'CREATE DATABASE upgraded');
$node->safe_psql('upgraded', "CREATE EXTENSION pg_migrate VERSION '1.0'; GRANT CREATE ON SCHEMA public TO mallory");
$node->psql('upgraded',
	"INSERT INTO pgmigrate.schedules (dir, run_at, role) VALUES ('$shared', now(), '$superuser')",
	extra_params => [ '-U', 'mallory' ]);
$node->safe_psql('upgraded', 'ALTER EXTENSION pg_migrate UPDATE');
is($node->safe_psql('upgraded', 'SELECT role, submitted_as_superuser IS NULL FROM pgmigrate.schedules'),
	"$superuser|t", 'a schedule of 1.0 has no trusted submitter after the update');
($ret, $out, $err) = $node->psql('upgraded', "UPDATE pgmigrate.schedules SET run_at = now()",
	extra_params => [ '-U', 'mallory' ]);
like($err, qr/permission denied for table schedules/, 'and members lose their write access');
is($node->safe_psql('upgraded', 'SELECT count(*) FROM migrate_schedules', extra_params => [ '-U', 'mallory' ]),
	'0', 'and see only schedules of their own role');

#
# Item 20: a role that may not log in cannot have a job run for it (its
# worker could not start); it is refused at submission, clearly.
#
my $shy_dir = member_folder('1_shy.up.sql' => "CREATE TABLE shy_t (id int);\n");
($ret, $out, $err) = $node->psql('postgres', "SET ROLE shy; SELECT migrate_apply_async('$shy_dir')");
like($err, qr/ERROR:  role "shy" is not permitted to log in\nDETAIL:  The background worker that runs a migration job logs in as role "shy"\./,
	'a job submitted after SET ROLE to a NOLOGIN role is refused');
($ret, $out, $err) = $node->psql('postgres', "SET ROLE shy; SELECT migrate_schedule('$shy_dir', now())");
like($err, qr/ERROR:  role "shy" is not permitted to log in/, 'so is a schedule');
is($node->safe_psql('postgres', "SELECT count(*) FROM pgmigrate.jobs WHERE role = 'shy'"), '0',
	'and nothing is recorded');

# a job that fails outside a migration records the cause, not "worker
# exited": here the member may not create golang-migrate's table
$node->safe_psql('postgres', 'CREATE DATABASE nocreate');
$node->safe_psql('nocreate', 'CREATE EXTENSION pg_migrate');
my $nocreate = member_folder('1_nocreate.up.sql' => "SELECT 1;\n");
$job = $node->safe_psql('nocreate', "SELECT migrate_apply_async('$nocreate')",
	extra_params => [ '-U', 'mallory' ]);
ok($node->poll_query_until('nocreate',
		"SELECT state IN ('succeeded', 'failed') FROM migrate_jobs WHERE job_id = $job"),
	'the job ended');
like($node->safe_psql('nocreate', "SELECT state, error FROM migrate_jobs WHERE job_id = $job"),
	qr/^failed\|42501: /, 'a job whose tracking table cannot be created records the error');

#
# pg_migrate.role: the worker applies pg_migrate.directory as that role, and
# nothing while it is unset (whoever can write the folder runs SQL as it).
#
add_version('worker', "CREATE TABLE worker_t AS SELECT current_user::text AS who, session_user::text AS session;\n");
$node->append_conf('postgresql.conf', "pg_migrate.directory = '$shared'\n");
$node->reload;
$node->wait_for_log(qr/WARNING:  pg_migrate.role is not set/);
is($node->safe_psql('postgres', "SELECT to_regclass('worker_t') IS NULL"), 't',
	'with pg_migrate.role unset the folder is not applied');

$node->append_conf('postgresql.conf', "pg_migrate.role = 'shy'\n");
$node->reload;
$node->wait_for_log(qr/WARNING:  role "shy" is not permitted to log in/);
is($node->safe_psql('postgres', "SELECT to_regclass('worker_t') IS NULL"), 't',
	'nor as a role that may not log in');

# a role that may log in but not connect to the database: the scheduler
# fails to connect once, then runs as the bootstrap superuser and says why,
# instead of dying at connection every ten seconds
$node->safe_psql('postgres', q{
	CREATE ROLE outsider LOGIN IN ROLE pg_read_server_files;
	REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;
	GRANT CONNECT ON DATABASE postgres TO mallory, alice, deployer;
});
$node->append_conf('postgresql.conf', "pg_migrate.role = 'outsider'\n");
$node->reload;
$node->wait_for_log(qr/WARNING:  the pg_migrate scheduler could not connect to database "postgres" as role "outsider"/);
$node->wait_for_log(qr/WARNING:  permission denied for database "postgres"\n[^\n]*DETAIL:  pg_migrate.role names role "outsider", which lacks CONNECT on it\./);
is(log_count($node, qr/FATAL:  permission denied for database "postgres"/), 1,
	'a role without CONNECT makes the scheduler fail to connect once, not in a loop');
is($node->safe_psql('postgres', "SELECT to_regclass('worker_t') IS NULL"), 't',
	'and the folder is not applied');

$node->append_conf('postgresql.conf', "pg_migrate.role = 'deployer'\n");
$node->reload;
ok($node->poll_query_until('postgres', "SELECT to_regclass('worker_t') IS NOT NULL"),
	'once pg_migrate.role is set, the folder is applied');
is($node->safe_psql('postgres',
		"SELECT who, session, pg_get_userbyid(relowner) FROM worker_t, pg_class WHERE oid = 'worker_t'::regclass"),
	'deployer|deployer|deployer', 'as that role, which owns what it created');
is($node->safe_psql('postgres',
		"SELECT usename FROM pg_stat_activity WHERE backend_type = 'pg_migrate scheduler'"),
	'deployer', 'the scheduler is connected as that role');
is($node->safe_psql('postgres', "SELECT applied_by FROM pgmigrate.history WHERE name = 'worker'"),
	'pg_migrate worker', 'the history names the worker');

# schedules still run as their own roles under that scheduler
$node->append_conf('postgresql.conf', "pg_migrate.directory = ''\n");
$node->reload;
add_version('later', "CREATE TABLE later_t AS SELECT current_user::text AS who;\n");
as_role('alice', "SELECT migrate_schedule('$shared', now())");
ok($node->poll_query_until('postgres', "SELECT to_regclass('later_t') IS NOT NULL"),
	'a schedule runs under a scheduler connected as pg_migrate.role');
is($node->safe_psql('postgres', 'SELECT who FROM later_t'), 'alice', 'as the schedule\'s role');

# a scheduler connected as a role that is no superuser still creates the
# extension when it is missing, as the bootstrap superuser
$node->safe_psql('postgres', 'DROP EXTENSION pg_migrate');
$node->append_conf('postgresql.conf', "pg_migrate.directory = '$shared'\n");
$node->reload;
ok($node->poll_query_until('postgres',
		"SELECT extowner::regrole::text FROM pg_extension WHERE extname = 'pg_migrate'", $superuser),
	'the scheduler connected as pg_migrate.role created the extension, owned by the bootstrap superuser');
is($node->safe_psql('postgres', "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_migrate'"),
	'public', 'in schema public');
$node->stop;

#
# Item 3: a database owner's look-alike operators, on the database's
# search_path, never run in the scheduler's or jobs' bookkeeping: after a
# restart, in the folder run, an async job and a schedule.
#
my $dir3 = new_folder();
write_migration($dir3, '1_t.up.sql', "CREATE TABLE t3 (id int);\n");
my $node3 = preloaded_node('owner_ops',
	'pg_migrate.database' => 'item3',
	'pg_migrate.directory' => $dir3,
	'pg_migrate.role' => $superuser,
	'pg_migrate.interval' => '0');
$node3->safe_psql('postgres', 'CREATE ROLE owner3 LOGIN; CREATE DATABASE item3 OWNER owner3');
my $ops = q{
	CREATE TABLE public.pwned3 (who name, backend text);
	GRANT INSERT ON public.pwned3 TO PUBLIC;
	CREATE FUNCTION public.note3() RETURNS void LANGUAGE sql AS
		'INSERT INTO public.pwned3 SELECT current_user, a.backend_type FROM pg_catalog.pg_stat_activity a
		 WHERE a.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()';
};
for my $type (qw(bigint integer text name oid))
{
	$ops .= "CREATE FUNCTION public.eq3($type, $type) RETURNS boolean LANGUAGE plpgsql AS "
	  . "'BEGIN PERFORM public.note3(); RETURN \$1 OPERATOR(pg_catalog.=) \$2; END';\n"
	  . "CREATE OPERATOR public.= (FUNCTION = public.eq3, LEFTARG = $type, RIGHTARG = $type);\n";
}
for my $op ([ '<=', 'le3' ], [ '>=', 'ge3' ])
{
	$ops .= "CREATE FUNCTION public.$op->[1](timestamptz, timestamptz) RETURNS boolean LANGUAGE plpgsql AS "
	  . "'BEGIN PERFORM public.note3(); RETURN \$1 OPERATOR(pg_catalog.$op->[0]) \$2; END';\n"
	  . "CREATE OPERATOR public.$op->[0] (FUNCTION = public.$op->[1], LEFTARG = timestamptz, RIGHTARG = timestamptz);\n";
}
$ops .= "ALTER DATABASE item3 SET search_path = public, pg_catalog;\n";
$node3->safe_psql('item3', $ops, extra_params => [ '-U', 'owner3' ]);
$node3->restart;
ok($node3->poll_query_until('item3',
		"SELECT count(*) = 1 FROM pgmigrate.history WHERE state = 'applied'"),
	'the scheduler applied the folder in the owner\'s database');
write_migration($dir3, '2_t.up.sql', "CREATE TABLE t3b (id int);\n");
$node3->restart;
ok($node3->poll_query_until('item3', "SELECT to_regclass('t3b') IS NOT NULL"),
	'and again after a restart');
write_migration($dir3, '3_j.up.sql', "CREATE TABLE j3 (id int);\n");
my $job3 = $node3->safe_psql('item3', "SELECT migrate_apply_async('$dir3')");
is($node3->safe_psql('item3', "SELECT migrate_wait($job3)"), 'succeeded', 'an async job succeeded');
is($node3->safe_psql('item3', "SELECT to_regclass('j3') IS NOT NULL"), 't', 'and applied its migration');
my $sched3 = $node3->safe_psql('item3', "SELECT migrate_schedule('$dir3', now(), interval '1 hour')");
ok($node3->poll_query_until('item3',
		"SELECT v.state = 'succeeded' FROM migrate_jobs v JOIN pgmigrate.jobs r ON r.job_id = v.job_id "
		  . "WHERE r.schedule_id = $sched3"),
	'a schedule ran');
ok($node3->poll_query_until('item3',
		"SELECT count(*) = 0 FROM migrate_jobs WHERE state IN ('queued', 'running')"),
	'every job ended');
is($node3->safe_psql('item3',
		"SELECT count(*) FROM public.pwned3 WHERE backend OPERATOR(pg_catalog.~~) 'pg_migrate%'"),
	'0', 'no operator of the database owner ran in a pg_migrate process');
$node3->safe_psql('item3', 'SELECT 1::bigint = 1::bigint');
ok($node3->safe_psql('item3', 'SELECT count(*) FROM public.pwned3') > 0,
	'while the same operators run in a client session, so the trap works');
$node3->stop;

done_testing();
