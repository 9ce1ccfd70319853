# The worker path (migrate_apply_async's job) with transaction control in
# files: BEGIN, START TRANSACTION, COMMIT and END are no-ops in
# transactional and no-transaction files alike; ROLLBACK is refused naming
# the line, before anything of the file runs.  A new enum value used by a
# later migration works here, since each migration commits on its own.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('noops');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_migrate');

my $dir = new_folder();
write_migration($dir, '1_pairs.up.sql',
	"CREATE TABLE w0 (id int);\nBEGIN;\nCREATE TABLE w1 (id int);\nCOMMIT;\n"
	  . "BEGIN;\nINSERT INTO w1 VALUES (1);\nEND;\n");
write_migration($dir, '2_enum.up.sql',
	"CREATE TYPE wmood AS ENUM ('happy');\nCOMMIT;\nALTER TYPE wmood ADD VALUE 'sad';\n");
write_migration($dir, '3_use.up.sql',
	"CREATE TABLE wf (m wmood);\nINSERT INTO wf VALUES ('sad');\n");
write_migration($dir, '4_concurrent.up.sql',
	"-- pg_migrate:no-transaction\nBEGIN;\nCREATE TABLE wx (id int);\nCOMMIT;\n"
	  . "START TRANSACTION;\nCREATE INDEX CONCURRENTLY wx_id ON wx (id);\nEND;\n");

# followed through migrate_jobs: migrate_wait's snapshot would hold up the
# job's CREATE INDEX CONCURRENTLY
sub wait_job
{
	my ($job) = @_;
	$node->poll_query_until('postgres',
		"SELECT state IN ('succeeded', 'failed') FROM migrate_jobs WHERE job_id = $job")
	  or die "job $job did not finish";
	return $node->safe_psql('postgres', "SELECT state FROM migrate_jobs WHERE job_id = $job");
}

sub run_job
{
	my $job = $node->safe_psql('postgres', "SELECT migrate_apply_async('$dir')");
	return wait_job($job), $job;
}

my ($state, $job) = run_job();
is($state, 'succeeded', 'the job applied every file');
is($node->safe_psql('postgres', 'SELECT count(*) FROM pgmigrate.history'), '4',
	'four migrations recorded');
is($node->safe_psql('postgres', 'SELECT (SELECT count(*) FROM w1) || (SELECT m::text FROM wf)'),
	'1sad', 'statements around the no-ops ran; the enum value was usable in the next migration');
is($node->safe_psql('postgres',
		"SELECT indisvalid FROM pg_index WHERE indexrelid = 'wx_id'::regclass"),
	't', 'the no-transaction file ran its CREATE INDEX CONCURRENTLY at top level');

# ROLLBACK is refused before anything of the file runs, naming the line
write_migration($dir, '5_rollback.up.sql',
	"CREATE TABLE wr (id int);\nBEGIN;\nROLLBACK;\n");
($state, $job) = run_job();
is($state, 'failed', 'a file with ROLLBACK fails the job');
like($node->safe_psql('postgres', "SELECT error FROM migrate_jobs WHERE job_id = $job"),
	qr/ROLLBACK is not allowed in migration file "5_rollback.up.sql".*line 3, column 1: ROLLBACK/,
	'the error names the statement, the file and the line');
is($node->safe_psql('postgres', "SELECT to_regclass('wr') IS NULL"), 't',
	'nothing of the refused file ran');

# A migration that timed out waiting for a lock runs again from the same
# parsed script: its trees are parsed again first (analysis changes them)
unlink "$dir/5_rollback.up.sql";
$node->safe_psql('postgres', 'CREATE TABLE lk (id int)');
$node->append_conf('postgresql.conf',
	"pg_migrate.lock_timeout = '300ms'\npg_migrate.lock_retries = 5\n");
$node->reload;
write_migration($dir, '5_retry.up.sql',
	"CREATE TABLE rt (id int, t text);\nINSERT INTO rt VALUES (1, 'a' || 'b');\n"
	  . "LOCK TABLE lk IN SHARE MODE;\nINSERT INTO rt SELECT 2, upper(t) FROM rt;\n");
my $holder = $node->background_psql('postgres');
$holder->query_safe('BEGIN; LOCK TABLE lk IN ACCESS EXCLUSIVE MODE');
my $from = -s $node->logfile;
$job = $node->safe_psql('postgres', "SELECT migrate_apply_async('$dir')");
$node->wait_for_log(qr/migration 5 "retry" timed out waiting for a lock; retrying/, $from);
$holder->query_safe('COMMIT');
$holder->quit;
is(wait_job($job), 'succeeded',
	'the migration succeeded on a retry');
is($node->safe_psql('postgres', "SELECT string_agg(id || t, ',' ORDER BY id) FROM rt"),
	'1ab,2AB', 'its statements ran once each, in the retry');

$node->stop;
done_testing();
