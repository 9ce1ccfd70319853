# The preloaded worker: waits for a missing database without crash-looping,
# applies the folder at start, picks up new files every interval, on reload
# and on migrate_wakeup(), records failures golang-migrate's way (dirty) and
# retries once the file is fixed; migrate_force; a missing folder.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $dir = new_folder();
write_migration($dir, '1_users.up.sql', "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n");
write_migration($dir, '2_index.up.sql', "CREATE INDEX users_email_idx ON users (email);\n");

my $node = preloaded_node('worker',
	'pg_migrate.database' => 'app',
	'pg_migrate.directory' => $dir,
	'pg_migrate.role' => scalar(getpwuid($<)),
	'pg_migrate.interval' => '1s');

# the database does not exist yet: one warning, no crash loop
$node->wait_for_log(qr/database "app" does not exist/);
sleep 12;
is(log_count($node, qr/database "app" does not exist/), 1,
	'a missing database is reported once, not every second');
is(log_count($node, qr/terminated by signal|exited with exit code/), 0,
	'no worker crashed or exited while the database was missing');

$node->safe_psql('postgres', 'CREATE DATABASE app');
ok($node->poll_query_until('app',
		"SELECT count(*) = 2 FROM pgmigrate.history WHERE state = 'applied'"),
	'the worker created the extension and applied the folder');
ok(log_count($node, qr/applied migration 1 "users" in [0-9.]+ ms/) == 1,
	'one LOG line per applied migration, with version, name and duration');
is($node->safe_psql('app', 'SELECT DISTINCT applied_by FROM pgmigrate.history'),
	'pg_migrate worker', 'the history names the worker');
is($node->safe_psql('app', 'SELECT version, dirty FROM schema_migrations'), '2|f',
	'schema_migrations is kept');

# a new file is picked up within the interval
write_migration($dir, '3_orders.up.sql', "CREATE TABLE orders (id bigint PRIMARY KEY);\n");
ok($node->poll_query_until('app', "SELECT to_regclass('orders') IS NOT NULL"),
	'a file dropped into the folder is applied');

# interval 0: only on reload and wake-up
$node->append_conf('postgresql.conf', "pg_migrate.interval = 0\n");
$node->reload;
sleep 2;
write_migration($dir, '4_items.up.sql', "CREATE TABLE items (id bigint PRIMARY KEY);\n");
sleep 3;
is($node->safe_psql('app', "SELECT to_regclass('items') IS NULL"), 't',
	'with interval 0 nothing is applied by itself');
is($node->safe_psql('app', 'SELECT migrate_wakeup()'), 't', 'migrate_wakeup reaches the worker');
ok($node->poll_query_until('app', "SELECT to_regclass('items') IS NOT NULL"),
	'migrate_wakeup makes it look now');

# a failing migration: rolled back, recorded as failed, dirty, not retried
# until the file changes; then retried and applied
write_migration($dir, '5_broken.up.sql',
	"CREATE TABLE broken (id int);\nALTER TABLE broken ADD COLUMN x int REFERENCES nowhere (id);\n");
write_migration($dir, '6_after.up.sql', "CREATE TABLE after_broken (id int);\n");
$node->safe_psql('app', 'SELECT migrate_wakeup()');
ok($node->poll_query_until('app',
		"SELECT count(*) = 1 FROM pgmigrate.history WHERE version = 5 AND state = 'failed'"),
	'the failure is recorded in the history');
is($node->safe_psql('app', 'SELECT version, dirty FROM schema_migrations'), '5|t',
	'schema_migrations is dirty at the failed version');
like($node->safe_psql('app', 'SELECT error FROM pgmigrate.history WHERE version = 5'),
	qr/^42P01: relation "nowhere" does not exist \(migration file "5_broken.up.sql", line 2, column \d+: /,
	'the history keeps SQLSTATE, message, file and line');
is($node->safe_psql('app', "SELECT state FROM migrate_status() WHERE version = 5"), 'failed',
	'migrate_status shows failed');
is($node->safe_psql('app', "SELECT to_regclass('broken') IS NULL AND to_regclass('after_broken') IS NULL"),
	't', 'the failed migration rolled back and nothing after it ran');
ok(log_count($node, qr/relation "nowhere" does not exist/) >= 1, 'the failure is logged');

write_migration($dir, '5_broken.up.sql', "CREATE TABLE broken (id int);\n");
$node->safe_psql('app', 'SELECT migrate_wakeup()');
ok($node->poll_query_until('app', "SELECT to_regclass('after_broken') IS NOT NULL"),
	'once fixed, the migration is retried and the rest follows');
is($node->safe_psql('app', 'SELECT version, dirty FROM schema_migrations'), '6|f',
	'schema_migrations is clean again');

# migrate_force: a human fixed version 7 by hand
write_migration($dir, '7_manual.up.sql', "CREATE TABLE manual (id int);\nSELECT 1/0;\n");
$node->safe_psql('app', 'SELECT migrate_wakeup()');
ok($node->poll_query_until('app',
		"SELECT dirty FROM schema_migrations"), 'version 7 failed');
$node->safe_psql('app', 'CREATE TABLE manual (id int)');
$node->safe_psql('app', 'SELECT migrate_force(7)');
is($node->safe_psql('app', 'SELECT version, dirty FROM schema_migrations'), '7|f',
	'migrate_force sets the version, clean');
is($node->safe_psql('app', 'SELECT state FROM migrate_status() WHERE version = 7'), 'applied',
	'the forced version counts as applied');
my ($ret, $out, $err) = $node->psql('app', 'SELECT migrate_force(-1)');
like($err, qr/version must not be negative/, 'migrate_force refuses a negative version');

# a folder that disappears: a warning at a sane rate, the scheduler lives on
my $pid = $node->safe_psql('app',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_migrate scheduler'");
$node->append_conf('postgresql.conf', "pg_migrate.directory = '$dir/missing'\npg_migrate.interval = 1\n");
$node->reload;
$node->wait_for_log(qr/could not read migration folder ".*missing"/);
sleep 4;
is(log_count($node, qr/could not read migration folder/), 1, 'a missing folder is reported once');
is($node->safe_psql('app',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_migrate scheduler'"),
	$pid, 'the scheduler keeps running');

$node->stop;
done_testing();
