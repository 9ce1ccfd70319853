# One all-or-nothing call over a big folder can run out of lock slots:
# the error says so, names the setting to raise and the file it reached,
# and nothing is applied.  Applying in steps with target works.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('locks');
$node->init;
$node->append_conf('postgresql.conf', "max_locks_per_transaction = 10\nmax_connections = 10\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_migrate');

my $dir = PostgreSQL::Test::Utils::tempdir;
my $nfiles = 600;
for my $v (1 .. $nfiles)
{
	open my $fh, '>', "$dir/${v}_table_$v.up.sql" or die $!;
	print $fh "CREATE TABLE t$v (id bigint PRIMARY KEY, note text UNIQUE);\n";
	close $fh;
}

my ($ret, $out, $err) = $node->psql('postgres',
	"SELECT count(*) FROM migrate_apply('$dir')", extra_params => [ '-v', 'VERBOSITY=verbose' ]);
isnt($ret, 0, 'one call over the whole folder fails');
like($err, qr/ERROR:  53200: out of shared memory/, 'the original error and SQLSTATE are kept');
like($err, qr/CONTEXT:  migration file "\d+_table_\d+\.up\.sql", line 1, column 1: CREATE TABLE/,
	'the detail names the file it reached');
like($err, qr/max_locks_per_transaction = 10/, 'the hint names the setting and its value');
like($err, qr/target/, 'the hint points to applying in steps');
like($err, qr/CALL migrate_run\(dir\), which commits each migration/,
	'and to migrate_run, which commits each migration');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_class WHERE relname ~ '^t[0-9]+\$'"),
	0, 'nothing was applied');

# in steps, each its own transaction, the same folder applies (steps well
# under the lock table: autovacuum shares it after the failed call)
my $applied = 0;
for (my $target = 20; $target <= $nfiles; $target += 20)
{
	$applied += $node->safe_psql('postgres',
		"SELECT count(*) FROM migrate_apply('$dir', $target)");
}
is($applied, $nfiles, 'applied in steps with target');
is($node->safe_psql('postgres', 'SELECT version, dirty FROM schema_migrations'),
	"$nfiles|f", 'schema_migrations is at the last version');

$node->stop;
done_testing();
