# Robustness of the background path (issue 8):
#
#   item 15  a pg_migrate.database that refuses connections is waited for
#            like a missing one: a warning, no scheduler dying at connection
#   item 14  schedules that would start jobs in a loop (every 1 microsecond,
#            run_at -infinity) are refused, or removed when found, and
#            never hold up the others; many due schedules all run, a batch
#            per pass, waiting for free worker slots
#   item 11  an error that escapes the scheduler's run gives back
#            golang-migrate's session lock
#   item 18  migrate_wait's memory does not grow while it waits
#   item 24  migrate_wait refuses a negative or overflowing timeout clearly
#   item 22  migrate_cancel and migrate_unschedule on a standby say so
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $superuser = getpwuid($<);
my $node = preloaded_node('robust',
	init => { allows_streaming => 1 },
	'pg_migrate.database' => 'app',
	'pg_migrate.role' => $superuser,
	'pg_migrate.interval' => '1s');
my ($ret, $out, $err);

#
# Item 15: ALLOW_CONNECTIONS false made the scheduler die with FATAL at
# connection, every ten seconds, for ever.
#
$node->wait_for_log(qr/WARNING:  database "app" does not exist/);
$node->safe_psql('postgres', 'CREATE DATABASE app ALLOW_CONNECTIONS false');
$node->wait_for_log(qr/WARNING:  database "app" does not allow connections/);
$node->safe_psql('postgres', 'ALTER DATABASE app ALLOW_CONNECTIONS true');
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_migrate scheduler' AND datname = 'app'"),
	'the scheduler starts once the database accepts connections');
is(log_count($node, qr/database "app" does not allow connections/), 1,
	'the database refusing connections was reported once');
is(log_count($node, qr/is not currently accepting connections|"pg_migrate scheduler" \(PID \d+\) exited/), 0,
	'no scheduler was started into it to die');

#
# Item 14: a schedule every microsecond, or at -infinity, forked job
# workers in a tight loop or failed every pass, holding up the others.
# Such rows (only the owner can write them now) are removed when found,
# each with one failed job saying why.
#
$node->safe_psql('app', 'CREATE EXTENSION pg_migrate');
my $dir = new_folder();
write_migration($dir, '1_a.up.sql', "CREATE TABLE a14 (id int);\n");
$node->safe_psql('app',
	"INSERT INTO pgmigrate.schedules (dir, run_at, every, role, submitted_as_superuser) VALUES "
	  . "('$dir', '-infinity', NULL, '$superuser', true), "
	  . "('$dir', now() - interval '1 day', interval '1 microsecond', '$superuser', true)");
my $good = $node->safe_psql('app', "SELECT migrate_schedule('$dir', now())");
ok($node->poll_query_until('app',
		"SELECT count(*) = 3 FROM migrate_jobs WHERE state IN ('succeeded', 'failed')"),
	'each schedule had one turn');
is($node->safe_psql('app',
		"SELECT string_agg(v.state, ',' ORDER BY v.job_id) FROM migrate_jobs v "
		  . "JOIN pgmigrate.jobs j ON j.job_id = v.job_id WHERE j.schedule_id = $good"),
	'succeeded', 'the valid schedule ran');
like($node->safe_psql('app', "SELECT string_agg(error, '\n' ORDER BY job_id) FROM migrate_jobs WHERE state = 'failed'"),
	qr/^22023: run_at must be a finite time\. run_at was -infinity\.\n22023: schedule interval must be at least 1 second\. The interval given was 00:00:00\.000001\.$/,
	'the invalid ones failed, saying why');
is($node->safe_psql('app', 'SELECT count(*) FROM pgmigrate.schedules'), '0',
	'and were removed');
my $next = $node->safe_psql('app', "SELECT migrate_schedule('$dir', now())");
ok($node->poll_query_until('app',
		"SELECT v.state = 'succeeded' FROM migrate_jobs v JOIN pgmigrate.jobs j ON j.job_id = v.job_id "
		  . "WHERE j.schedule_id = $next"),
	'a later schedule runs');
is($node->safe_psql('app', 'SELECT count(*) FROM pgmigrate.jobs'), '4',
	'and no further job was started for the invalid ones');

# more schedules due at once than worker slots and than one pass starts
my $many = join(' ', map { "SELECT migrate_schedule('$dir', now());" } 1 .. 20);
$node->safe_psql('app', "BEGIN; $many COMMIT;");
ok($node->poll_query_until('app',
		"SELECT count(*) = 0 FROM pgmigrate.schedules"),
	'twenty schedules due at once all had their turn');
ok($node->poll_query_until('app',
		"SELECT count(*) = 0 FROM migrate_jobs WHERE state IN ('queued', 'running')"),
	'and their jobs ended');
is($node->safe_psql('app',
		"SELECT count(*), count(DISTINCT schedule_id), count(*) FILTER (WHERE state = 'succeeded') "
		  . "FROM pgmigrate.jobs WHERE job_id > 4"),
	'20|20|20', 'one job each, all succeeded');

#
# Item 11: an error that escaped the scheduler's run kept golang-migrate's
# advisory lock until a restart: every later migrate_apply failed with
# 55P03.  Here the bookkeeping itself fails: a lock held on the history
# outlasts pg_migrate.lock_timeout, for the migration and for recording
# its failure; then a no-transaction migration that sets its own role.
#
$node->append_conf('postgresql.conf',
	"pg_migrate.directory = '$dir'\npg_migrate.lock_timeout = '200ms'\npg_migrate.lock_retries = 0\n");
$node->reload;
my $holder = $node->background_psql('app');
$holder->query_safe('BEGIN; LOCK TABLE pgmigrate.history IN EXCLUSIVE MODE');
my $offset = -s $node->logfile;
write_migration($dir, '2_x.up.sql', "CREATE TABLE x11 (id int);\n");
$node->wait_for_log(qr/canceling statement due to lock timeout/, $offset);
$holder->query_safe('COMMIT');
$holder->quit;
my $scheduler_locks =
  "SELECT count(*) = 0 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
  . "WHERE l.locktype = 'advisory' AND a.backend_type = 'pg_migrate scheduler'";
ok($node->poll_query_until('app', $scheduler_locks),
	'after its bookkeeping failed, the scheduler holds no advisory lock');
($ret, $out, $err) = $node->psql('app',
	"SET lock_timeout = '10s'; SELECT version FROM migrate_apply('$dir')");
is($out, '2', 'migrate_apply takes the migration lock and applies the migration');

$node->safe_psql('app', 'CREATE ROLE nobody11 NOLOGIN; GRANT CREATE ON SCHEMA public TO nobody11');
write_migration($dir, '3_role.up.sql',
	"-- pg_migrate:no-transaction\nSET ROLE nobody11;\nCREATE TABLE y11 (id int);\n");
ok($node->poll_query_until('app',
		"SELECT count(*) = 1 FROM pgmigrate.history WHERE version = 3"),
	'a no-transaction migration that sets its role is recorded');
ok($node->poll_query_until('app', $scheduler_locks),
	'and the scheduler holds no advisory lock after it');
is($node->safe_psql('app',
		"SELECT h.state, pg_get_userbyid(c.relowner) FROM pgmigrate.history h, pg_class c "
		  . "WHERE h.version = 3 AND c.oid = 'y11'::regclass"),
	'applied|nobody11', 'it ran as it said, and its bookkeeping as the worker');
$node->append_conf('postgresql.conf',
	"pg_migrate.directory = ''\npg_migrate.lock_timeout = 0\npg_migrate.lock_retries = 3\n");
$node->reload;

#
# Item 18: migrate_wait grew its backend by about 80 kB a second.  The
# job waits for an advisory lock this test holds while another session
# waits for the job; the waiter's memory is logged twice, seconds apart.
# (A slower machine polls less often, which could only hide a leak, never
# make one.)
#
$node->safe_psql('postgres', 'CREATE DATABASE mem18');
$node->safe_psql('mem18', 'CREATE EXTENSION pg_migrate');
my $dir18 = new_folder();
write_migration($dir18, '1_wait.up.sql', "SELECT pg_advisory_xact_lock(18);\n");
$holder = $node->background_psql('mem18');
$holder->query_safe('SELECT pg_advisory_lock(18)');
my $job = $node->safe_psql('mem18', "SELECT migrate_apply_async('$dir18')");
ok($node->poll_query_until('mem18',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_migrate job' AND wait_event = 'advisory'"),
	'the job waits for the lock');
my $waiter = $node->background_psql('mem18');
$waiter->query_until(qr/waiting/, "\\echo waiting\nSELECT migrate_wait($job);\n");
ok($node->poll_query_until('mem18',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE 'SELECT migrate_wait($job)%' AND state = 'active'"),
	'migrate_wait waits for the job');
my $wpid = $node->safe_psql('mem18',
	"SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT migrate_wait($job)%'");

sub memory_used
{
	my ($pid) = @_;
	my $from = -s $node->logfile;
	$node->safe_psql('mem18', "SELECT pg_log_backend_memory_contexts($pid)");
	$node->wait_for_log(qr/\[$pid\][^\n]*LOG:  Grand total: [^\n]* used/, $from);
	my $log = slurp_file($node->logfile, $from);
	$log =~ /\[$pid\][^\n]*LOG:  Grand total: [^\n]*?(\d+) used/ or die 'no memory total';
	return $1;
}
my $before = memory_used($wpid);
sleep 5;
my $after = memory_used($wpid);
cmp_ok($after - $before, '<', 32 * 1024,
	"migrate_wait's memory does not grow while it waits ($before, then $after bytes)");
$holder->query_safe('SELECT pg_advisory_unlock(18)');
$holder->quit;
$waiter->quit;
is($node->safe_psql('mem18', "SELECT migrate_wait($job, interval '1000 years')"), 'succeeded',
	'the job ends; a timeout of 1000 years is no overflow');

#
# Item 24: timeouts that are negative or past the end of time.
#
($ret, $out, $err) = $node->psql('mem18',
	"\\set VERBOSITY verbose\nSELECT migrate_wait($job, interval '-1 second')");
like($err, qr/ERROR:  22023: timeout must not be negative\nDETAIL:  The timeout given was -00:00:01\./,
	'a negative timeout is refused');
($ret, $out, $err) = $node->psql('mem18',
	"\\set VERBOSITY verbose\nSELECT migrate_wait($job, interval '300000 years')");
like($err, qr/ERROR:  22008: timeout is out of range\nDETAIL:  The timeout given was 300000 years\./,
	'a timeout past the end of time is refused');
is($node->safe_psql('mem18', "SELECT migrate_wait($job, interval '0')"), 'succeeded',
	'a zero timeout returns the state at once');

#
# Item 22: on a standby, migrate_cancel and migrate_unschedule failed with
# raw internal errors showing internal SQL.
#
$node->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('robust_standby');
$standby->init_from_backup($node, 'bk', has_streaming => 1);
$standby->start;
$node->wait_for_catchup($standby);
for my $call ("migrate_cancel($job)", 'migrate_unschedule(1)')
{
	($ret, $out, $err) = $standby->psql('mem18', "\\set VERBOSITY verbose\nSELECT $call");
	like($err, qr/ERROR:  25006: cannot apply migrations during recovery/,
		"$call on a standby says it is one");
	unlike($err, qr/QUERY:|pgmigrate\./, "$call on a standby shows no internal SQL");
}
$standby->stop;
$node->stop;

done_testing();
