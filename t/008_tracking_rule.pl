# The one rule for schema_migrations: it moves only when a migration was
# applied, a dirty version is cleared only by applying that version, and a
# version is never recorded applied unless it ran (or a human baselined it).
# Every way the table can be left dirty or set back: a job's failure, the
# function path's failure, golang-migrate's own dirty flag, Encore's manual
# roll back.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('tracking');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_migrate');

sub sm
{
	my ($db) = @_;
	return $node->safe_psql($db // 'postgres',
		"SELECT string_agg(version || ',' || dirty, ';') FROM public.schema_migrations");
}

sub hist
{
	my ($db, $v) = @_;
	return $node->safe_psql($db,
		"SELECT string_agg(state, ',' ORDER BY id) FROM pgmigrate.history WHERE version = $v");
}

my $dir = new_folder();
write_migration($dir, '1_a.up.sql', "CREATE TABLE a (id int);\n");
write_migration($dir, '2_b.up.sql', "CREATE TABLE b (id int);\n");
write_migration($dir, '3_c.up.sql', "CREATE TABLE c (id int);\nSELECT 1/0;\n");

# --- the reported sequence: a job fails at 3, then migrate_apply(dir, 2)
fresh_db($node, 'job_then_target');
my $job = $node->safe_psql('job_then_target', "SELECT migrate_apply_async('$dir')");
is($node->safe_psql('job_then_target', "SELECT migrate_wait($job)"), 'failed', 'the job fails at 3');
is(sm('job_then_target'), '3,true', 'the job left schema_migrations at (3, dirty)');
is($node->safe_psql('job_then_target', "SELECT count(*) FROM migrate_apply('$dir', 2)"), '0',
	'migrate_apply(dir, 2) has nothing to do');
is(sm('job_then_target'), '3,true', 'and leaves schema_migrations dirty at 3');
is($node->safe_psql('job_then_target', "SELECT state FROM migrate_status('$dir') WHERE version = 3"),
	'failed', 'status still shows 3 failed');
is($node->safe_psql('job_then_target', "SELECT count(*) FROM migrate_apply('$dir', 2, out_of_order => true)"),
	'0', 'the same with out_of_order');
is(sm('job_then_target'), '3,true', 'still dirty at 3');

my $fixed = new_folder();
write_migration($fixed, '1_a.up.sql', "CREATE TABLE a (id int);\n");
write_migration($fixed, '2_b.up.sql', "CREATE TABLE b (id int);\n");
write_migration($fixed, '3_c.up.sql', "CREATE TABLE c (id int);\n");
is($node->safe_psql('job_then_target', "SELECT string_agg(version::text, ',') FROM migrate_apply('$fixed')"),
	'3', 'once fixed, migrate_apply runs 3');
is($node->safe_psql('job_then_target', "SELECT to_regclass('c') IS NOT NULL"), 't', 'its table exists');
is(hist('job_then_target', 3), 'failed,applied', '3 is recorded failed then applied, never baselined');
is(sm('job_then_target'), '3,false', 'schema_migrations is (3, clean)');

# --- the same through the worker path: a job fails, a second job with a
# lower folder state must not clean it either
fresh_db($node, 'job_then_job');
$job = $node->safe_psql('job_then_job', "SELECT migrate_apply_async('$dir')");
is($node->safe_psql('job_then_job', "SELECT migrate_wait($job)"), 'failed', 'a job fails at 3');
my $two = new_folder();
write_migration($two, '1_a.up.sql', "CREATE TABLE a (id int);\n");
write_migration($two, '2_b.up.sql', "CREATE TABLE b (id int);\n");
$job = $node->safe_psql('job_then_job', "SELECT migrate_apply_async('$two')");
is($node->safe_psql('job_then_job', "SELECT migrate_wait($job)"), 'succeeded',
	'a job on a folder without 3 has nothing to do');
is(sm('job_then_job'), '3,true', 'and leaves schema_migrations dirty at 3');
$job = $node->safe_psql('job_then_job', "SELECT migrate_apply_async('$fixed')");
is($node->safe_psql('job_then_job', "SELECT migrate_wait($job)"), 'succeeded', 'the fixed folder applies');
is(hist('job_then_job', 3), 'failed,applied', '3 ran');
is($node->safe_psql('job_then_job', "SELECT to_regclass('c') IS NOT NULL"), 't', 'its table exists');
is(sm('job_then_job'), '3,false', 'schema_migrations is (3, clean)');

# --- the function path's failure rolls back: nothing recorded, nothing dirty
fresh_db($node, 'function_failure');
$node->safe_psql('function_failure', "SELECT count(*) FROM migrate_apply('$dir', 2)");
my ($ret, $out, $err) = $node->psql('function_failure', "SELECT * FROM migrate_apply('$dir')");
like($err, qr/division by zero/, 'migrate_apply fails at 3');
is(sm('function_failure'), '2,false', 'schema_migrations stays (2, clean)');
is(hist('function_failure', 3), '', 'no history row for 3');

# --- golang-migrate's own dirty flag (no failed row of ours): refused,
# never cleaned, never baselined
fresh_db($node, 'golang_dirty');
$node->safe_psql('golang_dirty',
	"CREATE TABLE a (id int); CREATE TABLE public.schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL); "
	  . "INSERT INTO public.schema_migrations VALUES (2, true)");
($ret, $out, $err) = $node->psql('golang_dirty', "SELECT * FROM migrate_apply('$fixed', 1)");
like($err, qr/database is dirty at migration version 2/, 'a dirty table left by golang-migrate is refused');
($ret, $out, $err) = $node->psql('golang_dirty', "SELECT * FROM migrate_apply('$fixed')");
like($err, qr/database is dirty at migration version 2/, 'also without a target');
is(sm('golang_dirty'), '2,true', 'the table is untouched');
is($node->safe_psql('golang_dirty', "SELECT count(*) FROM pgmigrate.history"), '0', 'nothing recorded');
is($node->safe_psql('golang_dirty', "SELECT string_agg(version || '=' || state, ',') FROM migrate_status('$fixed')"),
	'1=applied,2=failed,3=pending', 'status: 1 applied by golang-migrate, 2 failed, 3 pending');
$node->safe_psql('golang_dirty', "SELECT migrate_force(1)");
is($node->safe_psql('golang_dirty', "SELECT string_agg(version::text, ',') FROM migrate_apply('$fixed')"),
	'2,3', 'after force(1) 2 and 3 run');
is($node->safe_psql('golang_dirty', "SELECT string_agg(version || '=' || state, ',' ORDER BY id) FROM pgmigrate.history"),
	'1=baselined,2=applied,3=applied', '1 baselined (force), 2 and 3 applied');

# --- Encore's manual roll back: UPDATE schema_migrations SET version = 1
fresh_db($node, 'encore_rollback');
$node->safe_psql('encore_rollback', "SELECT count(*) FROM migrate_apply('$fixed')");
$node->safe_psql('encore_rollback', "DROP TABLE b, c; UPDATE public.schema_migrations SET version = 1");
is($node->safe_psql('encore_rollback', "SELECT count(*) FROM migrate_apply('$fixed', 1)"), '0',
	'after a manual roll back to 1, migrate_apply(dir, 1) has nothing to do');
is(sm('encore_rollback'), '1,false', 'and does not move the table back up');
is($node->safe_psql('encore_rollback', "SELECT string_agg(version || '=' || state, ',') FROM migrate_status('$fixed')"),
	'1=applied,2=pending,3=pending', '2 and 3 are pending again');
is($node->safe_psql('encore_rollback', "SELECT string_agg(version::text, ',') FROM migrate_apply('$fixed')"),
	'2,3', 'and run again');
is(hist('encore_rollback', 3), 'applied,reverted,applied', '3: applied, reverted, applied');
is(sm('encore_rollback'), '3,false', 'the table is at 3');

# --- a dirty flag set back by hand below our history is not ours: refused
fresh_db($node, 'dirty_below');
$node->safe_psql('dirty_below', "SELECT count(*) FROM migrate_apply('$fixed')");
$node->safe_psql('dirty_below', "UPDATE public.schema_migrations SET version = 2, dirty = true");
($ret, $out, $err) = $node->psql('dirty_below', "SELECT * FROM migrate_apply('$fixed')");
like($err, qr/database is dirty at migration version 2/, 'a dirty version set by hand is refused');
is(sm('dirty_below'), '2,true', 'and left alone');

# --- migrate_status never writes
fresh_db($node, 'status_reads');
$node->safe_psql('status_reads', "SELECT count(*) FROM migrate_apply('$fixed', 2)");
$node->safe_psql('status_reads', "DROP TABLE public.schema_migrations");
$node->safe_psql('status_reads', "SELECT count(*) FROM migrate_status('$fixed')");
is($node->safe_psql('status_reads', "SELECT to_regclass('public.schema_migrations') IS NULL"), 't',
	'migrate_status does not recreate the table');
is($node->safe_psql('status_reads', "SELECT count(*) FROM migrate_apply('$fixed', 2)"), '0',
	'a missing table with nothing to do');
is(sm('status_reads'), '2,false', 'is recreated from the history (not a roll back)');

done_testing();
