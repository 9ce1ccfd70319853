# A streaming standby applies nothing and refuses migrate_apply; after
# promotion its worker applies what is pending.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $dir = new_folder();
write_migration($dir, '1_base.up.sql', "CREATE TABLE base (id int);\n");

my $primary = preloaded_node('primary',
	init => { allows_streaming => 1 },
	'pg_migrate.database' => 'postgres',
	'pg_migrate.directory' => $dir,
	'pg_migrate.role' => scalar(getpwuid($<)),
	'pg_migrate.interval' => '1s');
ok($primary->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pgmigrate.history WHERE state = 'applied'"),
	'the primary applied the folder');

$primary->backup('backup');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'backup', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);

# a second migration arrives while only the standby is watching
$primary->append_conf('postgresql.conf', "pg_migrate.directory = ''\n");
$primary->reload;
sleep 1;
write_migration($dir, '2_after_promotion.up.sql', "CREATE TABLE after_promotion (id int);\n");
sleep 3;

is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'the standby is in recovery');
is($standby->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'pg_migrate%'"),
	'0', 'no pg_migrate worker runs on the standby');
is($standby->safe_psql('postgres', "SELECT to_regclass('base') IS NOT NULL, to_regclass('after_promotion') IS NULL"),
	't|t', 'the standby has what came through WAL and applied nothing itself');
my ($ret, $out, $err) = $standby->psql('postgres', "SELECT * FROM migrate_apply('$dir')");
like($err, qr/ERROR:  cannot apply migrations during recovery/, 'migrate_apply on a standby is refused clearly');
like($err, qr/HINT:  Apply migrations on the primary/, 'with a hint');
($ret, $out, $err) = $standby->psql('postgres', "SELECT migrate_apply_async('$dir')");
like($err, qr/cannot apply migrations during recovery/, 'so is migrate_apply_async');
($ret, $out, $err) = $standby->psql('postgres', "CALL migrate_run('$dir')",
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/ERROR:  25006: cannot apply migrations during recovery/, 'so is migrate_run, with 25006');
is($standby->safe_psql('postgres', "SELECT state FROM migrate_status('$dir') ORDER BY version"),
	"applied\npending", 'migrate_status works on the standby');

$primary->stop;
$standby->promote;
ok($standby->poll_query_until('postgres', "SELECT to_regclass('after_promotion') IS NOT NULL"),
	'after promotion the new primary applies what is pending');
is($standby->safe_psql('postgres', 'SELECT version, dirty FROM schema_migrations'), '2|f',
	'and keeps schema_migrations');

$standby->stop;
done_testing();
