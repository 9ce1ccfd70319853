# Dry runs and reverts beside other runs: a dry run holds the migration lock
# until its transaction ends, like migrate_apply; a real run waiting for it
# then applies everything once; two dry runs in turn each see every
# migration pending and leave nothing behind; a real run waiting for a
# revert applies again what was reverted.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('lifecycle');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_migrate');

my $dir = new_folder();
write_migration($dir, '1_log.up.sql',
	"CREATE TABLE run_log (version int NOT NULL, pid int NOT NULL DEFAULT pg_backend_pid());\n"
	  . "INSERT INTO run_log (version) VALUES (1);\n");
write_migration($dir, '1_log.down.sql', "DROP TABLE run_log;\n");
for my $v (2 .. 3)
{
	write_migration($dir, "${v}_t$v.up.sql",
		"CREATE TABLE t$v (id int PRIMARY KEY);\nINSERT INTO run_log (version) VALUES ($v);\n");
	write_migration($dir, "${v}_t$v.down.sql", "DROP TABLE t$v;\n");
}

my $connstr = $node->connstr('postgres');

# a psql in the background, running one statement
sub start_psql
{
	my ($sql, $out, $err) = @_;
	return IPC::Run::start(
		[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $connstr, '-c', $sql ],
		'>', $out, '2>', $err);
}

sub waiting_for_lock
{
	my ($pattern) = @_;
	return $node->poll_query_until('postgres',
		"SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE '%$pattern%' "
		  . "AND wait_event = 'Extension' AND pid <> pg_backend_pid()");
}

my $state = sub {
	return $node->safe_psql('postgres',
		"SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM migrate_status('$dir')");
};

# 1. a dry run in an open transaction holds the lock; a real run waits,
# then applies everything once
my $holder = $node->background_psql('postgres');
$holder->query_safe('BEGIN');
is($holder->query_safe("SELECT string_agg(version::text, ',') FROM migrate_apply('$dir', dry_run => true)"),
	'1,2,3', 'the dry run ran every migration');
my ($out, $err) = ('', '');
my $real = start_psql("SELECT string_agg(version::text, ',') FROM migrate_apply('$dir')", \$out, \$err);
ok(waiting_for_lock('migrate_apply'), 'a real run waits for the dry run\'s transaction');
is($node->safe_psql('postgres', "SELECT to_regclass('run_log') IS NULL"), 't',
	'nothing of the dry run is visible');
$holder->query_safe('COMMIT');
$real->finish;
is($real->result(0), 0, 'the real run succeeded');
is($err, '', 'the real run printed no error');
is($out, "1,2,3\n", 'the real run applied every migration');
is($node->safe_psql('postgres', 'SELECT count(*), count(DISTINCT version) FROM run_log'),
	'3|3', 'each migration ran once');
is($node->safe_psql('postgres', 'SELECT version, dirty FROM schema_migrations'),
	'3|f', 'schema_migrations says 3');
is($state->(), '1:applied,2:applied,3:applied', 'status: all applied');

# 2. a revert in an open transaction; a real run waits for it, then applies
# again what was reverted
$holder->query_safe('BEGIN');
is($holder->query_safe("SELECT string_agg(version::text, ',') FROM migrate_down('$dir', 2)"),
	'3,2', 'reverted 3 and 2');
($out, $err) = ('', '');
$real = start_psql("SELECT string_agg(version::text, ',') FROM migrate_apply('$dir')", \$out, \$err);
ok(waiting_for_lock('migrate_apply'), 'a real run waits for the revert\'s transaction');
$holder->query_safe('COMMIT');
$real->finish;
is($err, '', 'the real run printed no error');
is($out, "2,3\n", 'the real run applied the reverted migrations again');
is($node->safe_psql('postgres', 'SELECT version, dirty FROM schema_migrations'),
	'3|f', 'schema_migrations says 3');

# 3. two dry runs in turn after a reset: each sees every migration pending,
# nothing persists
$node->safe_psql('postgres', "SELECT count(*) FROM migrate_down('$dir', NULL)");
my $history = $node->safe_psql('postgres', 'SELECT count(*) FROM pgmigrate.history');
$holder->query_safe('BEGIN');
is($holder->query_safe("SELECT string_agg(version::text, ',') FROM migrate_apply('$dir', dry_run => true)"),
	'1,2,3', 'the first dry run ran every migration');
($out, $err) = ('', '');
my $second = start_psql("SELECT string_agg(version::text, ',') FROM migrate_apply('$dir', dry_run => true)",
	\$out, \$err);
ok(waiting_for_lock('migrate_apply'), 'the second dry run waits for the first');
$holder->query_safe('COMMIT');
$second->finish;
is($err, '', 'the second dry run printed no error');
is($out, "1,2,3\n", 'the second dry run ran every migration too');
is($node->safe_psql('postgres', 'SELECT count(*) FROM pgmigrate.history'), $history,
	'no history row persisted');
is($node->safe_psql('postgres', 'SELECT count(*) FROM schema_migrations'), '0',
	'schema_migrations still says nothing is applied');
is($node->safe_psql('postgres', "SELECT to_regclass('run_log') IS NULL AND to_regclass('t3') IS NULL"),
	't', 'no object persisted');
is($state->(), '1:pending,2:pending,3:pending', 'status: all pending');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"),
	'0', 'no migration lock left behind');

$holder->quit;
$node->stop;
done_testing();
