# SIGTERM / fast shutdown in the middle of a long migration run by the
# worker: the migration rolls back, the worker exits, the server stops
# promptly, and after restart the migration is applied exactly once.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

# The extension and the tables exist before the folder is configured: the
# scheduler creates the extension itself once it has a folder, and a
# CREATE EXTENSION of the test at the same moment would collide with it.
my $dir = new_folder();
my $node = preloaded_node('shutdown',
	'pg_migrate.database' => 'postgres',
	'pg_migrate.role' => scalar(getpwuid($<)),
	'pg_migrate.interval' => '1s');
$node->safe_psql('postgres',
	"CREATE EXTENSION pg_migrate; CREATE TABLE runs (version int);"
	  . "CREATE TABLE hold (on_hold bool); INSERT INTO hold VALUES (true)");
$node->append_conf('postgresql.conf', "pg_migrate.directory = '$dir'\n");
$node->reload;

# waits while hold has a row, so a run can be caught in the middle
my $wait_sql = "DO \$\$ BEGIN WHILE EXISTS (SELECT FROM hold) LOOP PERFORM pg_sleep(0.05); END LOOP; END \$\$;\n";
write_migration($dir, '1_long.up.sql',
	"CREATE TABLE long_one (id int);\nINSERT INTO runs VALUES (1);\n" . $wait_sql);
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_migrate scheduler' AND wait_event = 'PgSleep'"),
	'the worker is in the middle of the long migration');

my $start = time();
$node->stop('fast');
ok(time() - $start < 30, 'fast shutdown does not wait for the migration');

$node->start;
is($node->safe_psql('postgres', "SELECT count(*) FROM runs"), '0', 'the interrupted migration rolled back');
is($node->safe_psql('postgres', "SELECT count(*) FROM pgmigrate.history WHERE version = 1"), '0',
	'and left no history row');
$node->safe_psql('postgres', 'DELETE FROM hold');
$node->safe_psql('postgres', 'SELECT migrate_wakeup()');
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pgmigrate.history WHERE version = 1 AND state = 'applied'"),
	'after restart the migration is applied');
is($node->safe_psql('postgres', "SELECT count(*) FROM runs"), '1', 'exactly once');

# SIGTERM to the scheduler itself: same, and the launcher starts a new one
$node->safe_psql('postgres', 'INSERT INTO hold VALUES (true)');
write_migration($dir, '2_long.up.sql', "INSERT INTO runs VALUES (2);\n" . $wait_sql);
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_migrate scheduler' AND wait_event = 'PgSleep'"),
	'the worker is in the middle of the second long migration');
my $pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_migrate scheduler'");
kill 'TERM', $pid;
$node->safe_psql('postgres', 'DELETE FROM hold');
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pgmigrate.history WHERE version = 2 AND state = 'applied'"),
	'a new scheduler applies it after SIGTERM');
is($node->safe_psql('postgres', "SELECT count(*) FROM runs WHERE version = 2"), '1', 'exactly once');
isnt($node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_migrate scheduler'"),
	$pid, 'by a new scheduler process');

$node->stop;
done_testing();
