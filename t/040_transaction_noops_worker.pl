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

sub run_job
{
	my $job = $node->safe_psql('postgres', "SELECT migrate_apply_async('$dir')");
	return $node->safe_psql('postgres', "SELECT migrate_wait($job)"), $job;
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

$node->stop;
done_testing();
