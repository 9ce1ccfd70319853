# Exactly once and no hangs around the migration lock (issue 8, items 9,
# 10, 12, 13): REPEATABLE READ callers and jobs never apply a migration
# twice; a migration cannot apply migrations; waiting for the lock honours
# lock_timeout and reports a deadlock through a lock the waiter holds; two
# jobs with a pending CREATE INDEX CONCURRENTLY do not deadlock.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('locks');
$node->init;
$node->append_conf('postgresql.conf', "deadlock_timeout = 100ms\n");
$node->start;

my $dir = new_folder();
write_migration($dir, "${_}_m$_.up.sql", "INSERT INTO runs VALUES ($_);\n") for 2 .. 20;
write_migration($dir, '1_runs.up.sql', "CREATE TABLE runs (v int);\nSELECT pg_sleep(0.5);\n");

# --- item 9: a REPEATABLE READ caller whose snapshot predates another
# session's apply gets 40001 instead of applying everything again
fresh_db($node, 'rr_caller');
my $rr = $node->background_psql('rr_caller', on_error_stop => 0);
$rr->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
$rr->query_safe('SELECT count(*) FROM pgmigrate.history');    # takes the snapshot
$node->safe_psql('rr_caller', "SELECT count(*) FROM migrate_apply('$dir')");
my ($out, $failed) = $rr->query("SELECT count(*) FROM migrate_apply('$dir')");
ok($failed, 'the stale REPEATABLE READ call fails');
like($rr->{stderr}, qr/could not serialize access due to a concurrent migration run/,
	'with a serialization failure');
$rr->query('ROLLBACK');
$rr->quit;
is($node->safe_psql('rr_caller', 'SELECT count(*) FROM runs'), '19', 'every migration ran once');

# --- item 9 for jobs: default_transaction_isolation = repeatable read
fresh_db($node, 'rr_jobs');
$node->safe_psql('rr_jobs', "ALTER DATABASE rr_jobs SET default_transaction_isolation = 'repeatable read'");
my @jobs = map { $node->safe_psql('rr_jobs', "SELECT migrate_apply_async('$dir')") } 1 .. 3;
for my $job (@jobs)
{
	ok($node->poll_query_until('rr_jobs',
			"SELECT state IN ('succeeded', 'failed') FROM migrate_jobs WHERE job_id = $job"),
		"job $job finished");
}
is($node->safe_psql('rr_jobs', "SELECT string_agg(DISTINCT state, ',') FROM migrate_jobs"),
	'succeeded', 'three jobs under REPEATABLE READ all succeed');
is($node->safe_psql('rr_jobs', 'SELECT count(*) FROM runs'), '19', 'each migration ran exactly once');
is($node->safe_psql('rr_jobs', "SELECT count(*) FROM pgmigrate.history WHERE state = 'applied'"),
	'20', 'and is recorded once');

# --- item 10: a migration that applies migrations is refused
fresh_db($node, 'nested');
my $nest = new_folder();
write_migration($nest, '1_t.up.sql', "CREATE TABLE nested_t (id int);\n");
write_migration($nest, '2_again.up.sql', "SELECT count(*) FROM migrate_apply('$nest');\n");
my ($ret, $stdout, $stderr) = $node->psql('nested', "SELECT * FROM migrate_apply('$nest')");
like($stderr, qr/migrations cannot be applied from inside a migration/, 'a nested migrate_apply is refused');
is($node->safe_psql('nested', "SELECT to_regclass('nested_t') IS NULL"), 't', 'and nothing was applied');
my $job = $node->safe_psql('nested', "SELECT migrate_apply_async('$nest')");
ok($node->poll_query_until('nested', "SELECT state FROM migrate_jobs WHERE job_id = $job", 'failed'),
	'a job whose migration applies migrations fails');
like($node->safe_psql('nested', "SELECT error FROM migrate_jobs WHERE job_id = $job"),
	qr/migrations cannot be applied from inside a migration/, 'with the same error');
is($node->safe_psql('nested', "SELECT count(*) FROM pgmigrate.history WHERE version = 1 AND state = 'applied'"),
	'1', 'migration 1 ran once');
# the lock is free again: a later call works
$node->safe_psql('nested', "SELECT count(*) FROM migrate_apply('$nest', 1)");
pass('the migration lock was released after the refused run');

# --- item 12: lock_timeout bounds the wait; a cycle through a table lock
# the waiter holds is a deadlock, reported at once
fresh_db($node, 'waits');
$node->safe_psql('waits', 'CREATE TABLE hold (id int)');
my $slow = new_folder();
write_migration($slow, '1_slow.up.sql', "LOCK TABLE hold IN ACCESS EXCLUSIVE MODE;\n");
my $waiter = $node->background_psql('waits', on_error_stop => 0);
$waiter->query_safe('BEGIN');
$waiter->query_safe('LOCK TABLE hold IN ACCESS SHARE MODE');
$job = $node->safe_psql('waits', "SELECT migrate_apply_async('$slow')");
# the job holds the migration lock and waits for our table lock
ok($node->poll_query_until('waits',
		"SELECT count(*) > 0 FROM pg_locks WHERE locktype = 'relation' AND relation = 'hold'::regclass AND NOT granted"),
	'the job waits for the table lock the session holds');
my $other = $node->background_psql('waits', on_error_stop => 0);
($out, $failed) = $other->query("SET lock_timeout = '300ms'; SELECT count(*) FROM migrate_apply('$slow')");
like($other->{stderr}, qr/could not obtain the migration lock within lock_timeout/,
	'a third session waiting for the migration lock stops at lock_timeout');
$other->quit;
($out, $failed) = $waiter->query("SET statement_timeout = '60s'; SELECT count(*) FROM migrate_apply('$slow')");
like($waiter->{stderr}, qr/deadlock detected/, 'the session the job waits for gets a deadlock error');
$waiter->query('ROLLBACK');
$waiter->quit;
ok($node->poll_query_until('waits', "SELECT state FROM migrate_jobs WHERE job_id = $job", 'succeeded'),
	'and the job then succeeds');

# --- item 13: two jobs on one folder with a pending CREATE INDEX
# CONCURRENTLY: the second waits without a snapshot, no deadlock
fresh_db($node, 'two_cic');
my $cic = new_folder();
write_migration($cic, '1_big.up.sql',
	"CREATE TABLE big (id bigint PRIMARY KEY, v int);\n"
	  . "INSERT INTO big SELECT g, g % 100 FROM generate_series(1, 200000) g;\n");
write_migration($cic, '2_idx.up.sql', "CREATE INDEX CONCURRENTLY big_v_idx ON big (v);\n");
write_migration($cic, '3_after.up.sql', "CREATE TABLE after_idx (id int);\n");
@jobs = map { $node->safe_psql('two_cic', "SELECT migrate_apply_async('$cic')") } 1 .. 2;
for my $j (@jobs)
{
	ok($node->poll_query_until('two_cic',
			"SELECT state IN ('succeeded', 'failed') FROM migrate_jobs WHERE job_id = $j"),
		"job $j finished");
}
is($node->safe_psql('two_cic', "SELECT string_agg(state, ',') FROM migrate_jobs"),
	'succeeded,succeeded', 'both jobs succeed');
is($node->safe_psql('two_cic', "SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_v_idx'::regclass"),
	't', 'the index is valid');
is($node->safe_psql('two_cic', "SELECT count(*) FROM pgmigrate.history WHERE state = 'applied'"),
	'3', 'each migration applied once');
is($node->safe_psql('two_cic', "SELECT count(*) FROM pgmigrate.history WHERE state = 'failed'"),
	'0', 'and none failed');
is(log_count($node, qr/deadlock detected/), 1, 'the only deadlock in the log is the reported one');

done_testing();
