# Batched data migrations in the worker path (jobs, migrate_run): one commit
# per batch, the next migration only after the backfill, progress in
# migrate_status and migrate_jobs, other callers told at once, fast
# shutdown, kill -9 and cancel mid-backfill then completion applied once,
# the batch limit recorded as a failure, and the replay-lag throttle with a
# real streaming standby whose replay is paused.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('batch');
$node->init(allows_streaming => 1);
$node->append_conf('postgresql.conf', "restart_after_crash = on\n");
$node->start;

# a table of $rows rows, a backfill of $per rows a batch, then NOT NULL
sub backfill_folder
{
	my ($rows, $per) = @_;
	my $dir = new_folder();
	write_migration($dir, '1_users.up.sql', <<"SQL");
CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, email_lower text);
INSERT INTO users SELECT g, 'User' || g || '\@Example.COM' FROM generate_series(1, $rows) g;
CREATE TABLE batch_xacts (xact xid8, rows_seen int, at timestamptz DEFAULT clock_timestamp());
CREATE FUNCTION note_batch() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
    INSERT INTO batch_xacts (xact, rows_seen) SELECT pg_current_xact_id(), count(*) FROM changed;
    RETURN NULL;
END
\$\$;
CREATE TRIGGER users_batches AFTER UPDATE ON users
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION note_batch();
SQL
	write_migration($dir, '2_backfill.up.sql', <<"SQL");
-- pg_migrate:batch
UPDATE users SET email_lower = lower(email)
WHERE id IN (SELECT id FROM users WHERE email_lower IS NULL ORDER BY id LIMIT $per);
SQL
	write_migration($dir, '3_not_null.up.sql',
		"ALTER TABLE users ALTER COLUMN email_lower SET NOT NULL;\n");
	return $dir;
}

sub applied_once
{
	my ($db, $what) = @_;
	is($node->safe_psql($db,
		"SELECT count(*) FILTER (WHERE email_lower IS NULL), count(*) FILTER (WHERE email_lower <> lower(email)) FROM users"),
		'0|0', "$what: every row backfilled");
	is($node->safe_psql($db,
		"SELECT string_agg(version || ':' || n, ',' ORDER BY version) FROM (SELECT version, count(*) n FROM pgmigrate.history WHERE state = 'applied' GROUP BY version) h"),
		'1:1,2:1,3:1', "$what: each migration recorded applied once");
	is($node->safe_psql($db, 'SELECT version, dirty FROM schema_migrations'), '3|f',
		"$what: schema_migrations says 3");
	is($node->safe_psql($db, 'SELECT count(*) FROM pgmigrate.progress'), '0',
		"$what: no progress left");
}

# ---- a job: 50,000 rows in batches of 400, one commit per batch
my $dir = backfill_folder(50000, 400);
fresh_db($node, 'jobpath');
my $job = $node->safe_psql('jobpath', "SELECT migrate_apply_async('$dir')");
$node->safe_psql('jobpath', "CALL migrate_await($job)");
is($node->safe_psql('jobpath', "SELECT state FROM migrate_jobs WHERE job_id = $job"), 'succeeded',
	'the job succeeded');
is($node->safe_psql('jobpath',
	'SELECT count(*), count(DISTINCT xact), max(rows_seen) FROM batch_xacts WHERE rows_seen > 0'),
	'125|125|400', '125 batches of at most 400 rows, each its own transaction');
is($node->safe_psql('jobpath',
	"SELECT (SELECT applied_at FROM pgmigrate.history WHERE version = 3) > (SELECT max(at) FROM batch_xacts)"),
	't', 'the next migration ran only after the last batch');
applied_once('jobpath', 'job');

# ---- migrate_run: the same, and the progress visible meanwhile
fresh_db($node, 'runpath');
$node->safe_psql('runpath', "ALTER DATABASE runpath SET pg_migrate.batch_pause = '30ms'");
my ($out, $err) = ('', '');
my $run = IPC::Run::start(
	[ 'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('runpath'),
	  '-c', "CALL migrate_run('$dir')" ],
	'>', \$out, '2>', \$err);
ok($node->poll_query_until('runpath', 'SELECT count(*) > 3 FROM batch_xacts'),
	'migrate_run commits batch after batch (other sessions see them)');
like($node->safe_psql('runpath', "SELECT state || ' ' || progress FROM migrate_status('$dir') WHERE version = 2"),
	qr/^running \d+ batches, \d+ rows changed, [\d-]+ rows\/s, since /, 'migrate_status shows it running with its progress');
my ($rc, $o, $e) = $node->psql('runpath', "SELECT * FROM migrate_apply('$dir')");
like($e, qr/applying a migration that commits as it goes/, 'another caller is told at once');
$run->finish;
is($run->result(0), 0, 'migrate_run exits 0');
like($err, qr/applied migration 2 "backfill"/, 'with a NOTICE for the backfill');
applied_once('runpath', 'migrate_run');

# ---- a job's progress in migrate_jobs; cancel mid-backfill, then completion
fresh_db($node, 'cancel');
$node->safe_psql('cancel', "ALTER DATABASE cancel SET pg_migrate.batch_pause = '30ms'");
$job = $node->safe_psql('cancel', "SELECT migrate_apply_async('$dir')");
ok($node->poll_query_until('cancel',
	"SELECT progress ~ '^[0-9]+ batches' FROM migrate_jobs WHERE job_id = $job"),
	'migrate_jobs shows the running job\'s progress');
$node->safe_psql('cancel', "SELECT migrate_cancel($job)");
$node->safe_psql('cancel', "CALL migrate_await($job)");
is($node->safe_psql('cancel', "SELECT state FROM migrate_jobs WHERE job_id = $job"), 'canceled',
	'the job is canceled');
my $done = $node->safe_psql('cancel', 'SELECT count(*) FROM users WHERE email_lower IS NOT NULL');
ok($done > 0 && $done < 50000, "the committed batches stay ($done rows)");
is($node->safe_psql('cancel', 'SELECT count(*) FROM batch_xacts WHERE rows_seen > 0'), $done / 400,
	'only whole batches were kept');
$node->safe_psql('cancel', "ALTER DATABASE cancel RESET pg_migrate.batch_pause");
$node->safe_psql('cancel', "CALL migrate_run('$dir')");
applied_once('cancel', 'after a cancel');

# ---- fast shutdown and kill -9 mid-backfill, then completion
for my $how ('fast', 'kill9')
{
	my $db = "stop_$how";
	fresh_db($node, $db);
	$node->safe_psql($db, "ALTER DATABASE $db SET pg_migrate.batch_pause = '30ms'");
	$job = $node->safe_psql($db, "SELECT migrate_apply_async('$dir')");
	ok($node->poll_query_until($db, 'SELECT count(*) > 5 FROM batch_xacts'), "$how: backfill under way");
	if ($how eq 'fast')
	{
		$node->stop('fast');
		$node->start;
	}
	else
	{
		my $pid = $node->safe_psql($db, "SELECT pid FROM migrate_jobs WHERE job_id = $job");
		kill 'KILL', $pid;
		ok($node->poll_query_until('postgres', 'SELECT 1', '1'), 'the server restarted after the crash');
	}
	$done = $node->safe_psql($db, 'SELECT count(*) FROM users WHERE email_lower IS NOT NULL');
	ok($done < 50000 && $done % 400 == 0, "$how: whole batches kept ($done rows)");
	isnt($node->safe_psql($db, "SELECT state FROM migrate_status('$dir') WHERE version = 2"), 'applied',
		"$how: the backfill is not recorded applied");
	$node->safe_psql($db, "ALTER DATABASE $db RESET pg_migrate.batch_pause");
	$node->safe_psql($db, "CALL migrate_run('$dir')");
	applied_once($db, "after $how");
}

# ---- the batch limit in the worker path: recorded failed
my $forever = new_folder();
write_migration($forever, '1_counters.up.sql',
	"CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL DEFAULT 0);\n"
	  . "INSERT INTO counters (id) SELECT generate_series(1, 10);\n");
write_migration($forever, '2_forever.up.sql',
	"-- pg_migrate:batch\nUPDATE counters SET n = n + 1 WHERE id IN (SELECT id FROM counters ORDER BY id LIMIT 3);\n");
fresh_db($node, 'forever');
$node->safe_psql('forever', "ALTER DATABASE forever SET pg_migrate.batch_limit = 7");
($rc, $o, $e) = $node->psql('forever', "CALL migrate_run('$forever')");
like($e, qr/batch migration file "2_forever.up.sql" still changed rows after 7 batches/,
	'the batch limit stops it');
like($e, qr/pg_migrate.batch_limit/, 'naming the setting');
is($node->safe_psql('forever', "SELECT state FROM migrate_status('$forever') WHERE version = 2"), 'failed',
	'recorded failed');
is($node->safe_psql('forever', 'SELECT sum(n) FROM counters'), '21', 'its 7 committed batches stay');

# ---- throttled on a standby's replay lag
$node->backup('b');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($node, 'b', has_streaming => 1);
$standby->start;
$node->wait_for_catchup($standby, 'replay');
fresh_db($node, 'lag');
$node->wait_for_catchup($standby, 'replay');
$standby->safe_psql('postgres', 'SELECT pg_wal_replay_pause()');
$node->safe_psql('lag', "ALTER DATABASE lag SET pg_migrate.batch_max_lag = '64kB'");
my $waits = log_count($node, qr/waits for a standby to replay/);
$job = $node->safe_psql('lag', "SELECT migrate_apply_async('$dir')");
ok($node->poll_query_until('lag',
	"SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'pg_migrate job' AND wait_event = 'Extension'"),
	'the job waits');
my $waited = 0;
for (1 .. 300)
{
	last if ($waited = log_count($node, qr/waits for a standby to replay/) > $waits);
	select(undef, undef, undef, 0.1);
}
ok($waited, 'the job logs that it waits for the standby');
my $before = $node->safe_psql('lag', 'SELECT count(*) FROM batch_xacts');
sleep 1;
is($node->safe_psql('lag', 'SELECT count(*) FROM batch_xacts'), $before, 'no batch runs while replay is paused');
is($node->safe_psql('lag', "SELECT state FROM migrate_jobs WHERE job_id = $job"), 'running', 'the job is still running');
$standby->safe_psql('postgres', 'SELECT pg_wal_replay_resume()');
$node->safe_psql('lag', "CALL migrate_await($job)");
is($node->safe_psql('lag', "SELECT state FROM migrate_jobs WHERE job_id = $job"), 'succeeded',
	'after the standby resumes, the backfill finishes');
applied_once('lag', 'throttled');

$standby->stop;
$node->stop;
done_testing();
