# migrate_apply_async without preloading: jobs, migrate_wait, migrate_jobs,
# migrate_cancel, no-transaction migrations (CREATE INDEX CONCURRENTLY)
# with resume and INVALID-index clean-up, other sessions calling
# migrate_apply meanwhile, and kill -9 of a job worker.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('jobs');
$node->init;
$node->append_conf('postgresql.conf', "restart_after_crash = on\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_migrate');

my $dir = new_folder();
write_migration($dir, '1_big.up.sql',
	"CREATE TABLE big (id bigint PRIMARY KEY, v int);\n"
	  . "INSERT INTO big SELECT g, g % 1000 FROM generate_series(1, 300000) g;\n");
write_migration($dir, '2_index.up.sql',
	"-- built without blocking writes\nCREATE INDEX CONCURRENTLY big_v_idx ON big (v);\n");
write_migration($dir, '3_after.up.sql', "CREATE TABLE after_index (id int);\n");

# migrate_apply refuses the no-transaction file before running anything
my ($ret, $out, $err) = $node->psql('postgres', "SELECT * FROM migrate_apply('$dir')");
like($err, qr/migration file "2_index.up.sql" cannot run inside a transaction block/,
	'migrate_apply refuses CREATE INDEX CONCURRENTLY');
like($err, qr/DETAIL:  It holds CREATE INDEX CONCURRENTLY/, 'the refusal names the statement');
like($err, qr/CONTEXT:  migration file "2_index.up.sql", line 2/, 'and the file and line');
like($err, qr/HINT:  Apply the folder with CALL migrate_run\(dir\)/, 'and points to migrate_run');
is($node->safe_psql('postgres', "SELECT to_regclass('big') IS NULL"), 't', 'nothing was applied');

# the job applies it, with other sessions calling migrate_apply meanwhile
my $job = $node->safe_psql('postgres', "SELECT migrate_apply_async('$dir')");
ok($job > 0, 'migrate_apply_async returns a job id');
my @others;
for my $i (1 .. 3)
{
	my ($o, $e) = ('', '');
	push @others, [ IPC::Run::start(
		[ 'psql', '-XAtq', '-d', $node->connstr('postgres'),
		  '-c', "SELECT count(*) FROM migrate_apply('$dir')" ],
		'>', \$o, '2>', \$e), \$o, \$e ];
}
ok($node->poll_query_until('postgres', "SELECT state FROM migrate_jobs WHERE job_id = $job", 'succeeded'),
	'the job succeeded (followed through migrate_jobs, without holding a snapshot)');
is($node->safe_psql('postgres', "SELECT migrate_wait($job)"), 'succeeded', 'migrate_wait returns the final state');
for my $other (@others)
{
	$other->[0]->finish;
	unlike(${ $other->[2] }, qr/deadlock detected/, 'a concurrent migrate_apply did not deadlock');
	ok(${ $other->[2] } eq '' || ${ $other->[2] } =~ /another session is applying a migration that commits as it goes/,
		'a concurrent migrate_apply either waited or was told the worker is busy');
}
is($node->safe_psql('postgres',
		"SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_v_idx'::regclass"),
	't', 'the concurrent index build finished and is valid');
is($node->safe_psql('postgres', "SELECT count(*), count(DISTINCT version) FROM pgmigrate.history WHERE state = 'applied'"),
	'3|3', 'each migration applied exactly once');
is($node->safe_psql('postgres',
		"SELECT database, role = current_user, state, applied, error IS NULL, started_at >= submitted_at, finished_at >= started_at FROM migrate_jobs WHERE job_id = $job"),
	'postgres|t|succeeded|3|t|t|t', 'migrate_jobs shows the job');
is($node->safe_psql('postgres', "SELECT count(*) FROM pgmigrate.progress"), '0',
	'no progress is left behind');

# a failing CREATE INDEX CONCURRENTLY leaves an INVALID index: reported,
# dropped before the retry; the retry resumes after completed statements
write_migration($dir, '4_unique.up.sql',
	"-- pg_migrate:no-transaction\nCREATE TABLE dup_marker (id int);\n"
	  . "CREATE UNIQUE INDEX CONCURRENTLY big_v_key ON big (v);\n");
$job = $node->safe_psql('postgres', "SELECT migrate_apply_async('$dir')");
($ret, $out, $err) = $node->psql('postgres', "SELECT migrate_wait($job)");
ok($err eq '' || $err =~ /is waiting for this session/,
	'migrate_wait returns, or says the job waits for its snapshot');
ok($node->poll_query_until('postgres', "SELECT state FROM migrate_jobs WHERE job_id = $job", 'failed'),
	'the job failed');
like($node->safe_psql('postgres', "SELECT error FROM migrate_jobs WHERE job_id = $job"),
	qr/23505: could not create unique index "big_v_key"/, 'the job keeps the error');
like($node->safe_psql('postgres', "SELECT error FROM pgmigrate.history WHERE version = 4"),
	qr/left index public.big_v_key INVALID.*\(migration file "4_unique.up.sql", line 3, /s,
	'the history names the file, line and the INVALID index');
is($node->safe_psql('postgres', 'SELECT statements_done FROM pgmigrate.progress WHERE version = 4'),
	'1', 'progress records the completed statement');
is($node->safe_psql('postgres', 'SELECT version, dirty FROM schema_migrations'), '4|t',
	'schema_migrations is dirty');
write_migration($dir, '4_unique.up.sql',
	"-- pg_migrate:no-transaction\nCREATE TABLE dup_marker (id int);\n"
	  . "CREATE UNIQUE INDEX CONCURRENTLY big_v_key ON big (id, v);\n");
$node->safe_psql('postgres', "INSERT INTO pgmigrate.progress VALUES (4, (SELECT checksum FROM migrate_status() WHERE version = 4), 1)"
	. " ON CONFLICT (version, direction) DO UPDATE SET checksum = EXCLUDED.checksum");
$job = $node->safe_psql('postgres', "SELECT migrate_apply_async('$dir')");
ok($node->poll_query_until('postgres', "SELECT state FROM migrate_jobs WHERE job_id = $job", 'succeeded'),
	'the fixed file applies');
ok(log_count($node, qr/resuming migration 4 "unique" after statement 1 of 2/) == 1,
	'the retry resumed after the completed statement');
ok(log_count($node, qr/dropping INVALID index public.big_v_key/) == 1,
	'the INVALID index was dropped before the retry');
is($node->safe_psql('postgres',
		"SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_v_key'::regclass"), 't',
	'the rebuilt index is valid');

# cancel: the running migration rolls back
write_migration($dir, '5_slow.up.sql', "CREATE TABLE slow (id int);\nSELECT pg_sleep(60);\n");
$job = $node->safe_psql('postgres', "SELECT migrate_apply_async('$dir')");
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_migrate job' AND wait_event = 'PgSleep'"),
	'the slow migration is running');
is($node->safe_psql('postgres', "SELECT migrate_cancel($job)"), 't', 'migrate_cancel signals it');
is($node->safe_psql('postgres', "SELECT migrate_wait($job, '30 s')"), 'canceled', 'the job is canceled');
is($node->safe_psql('postgres', "SELECT to_regclass('slow') IS NULL"), 't', 'its migration rolled back');
is($node->safe_psql('postgres', "SELECT migrate_cancel($job)"), 'f', 'a finished job cannot be canceled');

# a job submitted in a transaction that rolls back never runs
$node->safe_psql('postgres', "BEGIN; SELECT migrate_apply_async('$dir'); ROLLBACK;");
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'pg_migrate job'"),
	'the worker of a rolled-back submission exits');
is($node->safe_psql('postgres', "SELECT count(*) FROM pgmigrate.jobs WHERE state = 'running'"), '0',
	'and ran nothing');
($ret, $out, $err) = $node->psql('postgres',
	"BEGIN;\nSELECT migrate_wait(migrate_apply_async('$dir'));\nROLLBACK;");
like($err, qr/was submitted in this transaction/, 'migrate_wait refuses to wait for its own transaction');
($ret, $out, $err) = $node->psql('postgres', "SELECT migrate_wait(999999)");
like($err, qr/migration job 999999 does not exist/, 'an unknown job is an error');
($ret, $out, $err) = $node->psql('postgres', "SELECT migrate_apply_async(NULL)");
like($err, qr/migration folder must not be null/, 'a null folder is refused');
($ret, $out, $err) = $node->psql('postgres', "SELECT migrate_apply_async('relative')");
like($err, qr/must be an absolute path/, 'a relative folder is refused at submission');

# kill -9 of a job worker: the server restarts, nothing is half-applied,
# the job shows as failed
write_migration($dir, '5_slow.up.sql', "CREATE TABLE slow (id int);\nSELECT pg_sleep(60);\n");
$job = $node->safe_psql('postgres', "SELECT migrate_apply_async('$dir')");
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_migrate job' AND wait_event = 'PgSleep'"),
	'the slow migration is running again');
my $pid = $node->safe_psql('postgres', "SELECT pid FROM migrate_jobs WHERE job_id = $job");
kill 'KILL', $pid;
$node->poll_query_until('postgres', 'SELECT true') or die 'the server did not come back';
is($node->safe_psql('postgres', "SELECT state, error FROM migrate_jobs WHERE job_id = $job"),
	'failed|server restarted or worker exited before the job finished', 'the killed job shows as failed');
is($node->safe_psql('postgres', "SELECT to_regclass('slow') IS NULL, count(*) FROM pgmigrate.history WHERE version = 5"),
	't|0', 'nothing of the killed migration persisted');

$node->stop;
done_testing();
