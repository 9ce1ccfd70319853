# Scheduled runs: two schedules of the same folder due at once apply each
# migration exactly once; repeating schedules move to their next time;
# schedules survive a restart; unschedule; bad inputs.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = preloaded_node('schedules', 'pg_migrate.database' => 'postgres');
$node->safe_psql('postgres', 'CREATE EXTENSION pg_migrate; CREATE TABLE runs (version int)');
$node->safe_psql('postgres', 'CREATE DATABASE other');
$node->safe_psql('other', 'CREATE EXTENSION pg_migrate');

my $dir = new_folder();
for my $v (1 .. 20)
{
	write_migration($dir, "${v}_m$v.up.sql",
		"CREATE TABLE m$v (id int);\nINSERT INTO runs VALUES ($v);\nSELECT pg_sleep(0.01);\n");
}

# two schedules due now
my $a = $node->safe_psql('postgres', "SELECT migrate_schedule('$dir', now())");
my $b = $node->safe_psql('postgres', "SELECT migrate_schedule('$dir', now())");
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 2 FROM migrate_jobs WHERE state IN ('succeeded', 'failed')"),
	'both scheduled runs finished');
is($node->safe_psql('postgres', "SELECT string_agg(state, ',') FROM migrate_jobs"),
	'succeeded,succeeded', 'both succeeded');
is($node->safe_psql('postgres', 'SELECT count(*), count(DISTINCT version) FROM runs'), '20|20',
	'each migration applied exactly once');
is($node->safe_psql('postgres', 'SELECT sum(applied) FROM migrate_jobs'), '20',
	'the two runs shared the work');
is($node->safe_psql('postgres', 'SELECT count(*) FROM pgmigrate.schedules'), '0',
	'one-off schedules are removed once started');

# a repeating schedule in the future survives a restart and moves on
my $rep = $node->safe_psql('postgres',
	"SELECT migrate_schedule('$dir', now() + interval '3 seconds', interval '1 hour')");
$node->restart;
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 3 FROM migrate_jobs WHERE state = 'succeeded'"),
	'the repeating schedule ran after a restart');
is($node->safe_psql('postgres',
		"SELECT run_at > now() + interval '50 minutes', last_job_id IS NOT NULL FROM pgmigrate.schedules WHERE schedule_id = $rep"),
	't|t', 'and moved to its next time');
is($node->safe_psql('postgres', "SELECT migrate_unschedule($rep)"), 't', 'migrate_unschedule removes it');
is($node->safe_psql('postgres', "SELECT migrate_unschedule($rep)"), 'f', 'and says when there was nothing');

# bad inputs
my ($ret, $out, $err) = $node->psql('other', "SELECT migrate_schedule('$dir', now())");
like($err, qr/schedules run only in database "postgres"/, 'schedules live in pg_migrate.database');
($ret, $out, $err) = $node->psql('postgres', "SELECT migrate_schedule('$dir', NULL)");
like($err, qr/run_at must not be null/, 'run_at is required');
($ret, $out, $err) = $node->psql('postgres', "SELECT migrate_schedule('$dir', now(), interval '-1 hour')");
like($err, qr/ERROR:  schedule interval must be at least 1 second\nDETAIL:  The interval given was -01:00:00\./,
	'a negative interval is refused with a clear message');
unlike($err, qr/check constraint/, 'not as a raw constraint violation');
($ret, $out, $err) = $node->psql('postgres', "SELECT migrate_schedule('$dir', now(), interval '1 microsecond')");
like($err, qr/schedule interval must be at least 1 second/, 'an interval under the minimum is refused');
($ret, $out, $err) = $node->psql('postgres', "SELECT migrate_schedule('$dir', '-infinity')");
like($err, qr/ERROR:  run_at must be a finite time/, 'an infinite run_at is refused');
($ret, $out, $err) = $node->psql('postgres', "SELECT migrate_schedule('$dir', now(), interval '300000 years')");
like($err, qr/ERROR:  schedule interval is out of range/, 'an interval past the end of time is refused');
is($node->safe_psql('postgres', 'SELECT count(*) FROM pgmigrate.schedules'), '0',
	'no refused schedule was recorded');
($ret, $out, $err) = $node->psql('postgres', "SELECT migrate_schedule('relative', now())");
like($err, qr/must be an absolute path/, 'a relative folder is refused');

$node->stop;
done_testing();
