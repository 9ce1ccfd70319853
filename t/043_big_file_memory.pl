# A 64 MB migration file (100-row INSERTs) validates, and applies, with the
# backend's peak memory under 3 times the file's size plus 64 MB (issue 13): the file is
# parsed a piece at a time as it runs, each piece's parse trees freed
# before the next (parsed whole, its trees alone take about 12 times its
# size).  Peak is the backend's VmHWM (/proc/<pid>/status), which counts the
# shared buffers it touched: shared_buffers is kept small.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

plan skip_all => 'needs /proc' unless -r "/proc/$$/status";

my $node = PostgreSQL::Test::Cluster->new('memory');
$node->init;
$node->append_conf('postgresql.conf', "shared_buffers = 16MB\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_migrate');

my $dir = new_folder();
my $size = 64 * 1024 * 1024;
my $path = "$dir/1_big.up.sql";
open my $fh, '>', $path or die "could not write $path: $!";
print $fh "CREATE TABLE big (id int, a text, b int);\n";
my ($written, $id) = (0, 0);
while ($written < $size)
{
	my $sql = 'INSERT INTO big VALUES '
	  . join(',', map { my $i = $id + $_; "($i,'row $i text'," . ($i % 97) . ')' } 0 .. 99)
	  . ";\n";
	print $fh $sql;
	$written += length($sql);
	$id += 100;
}
close $fh;
my $bytes = -s $path;

my $bound_kb = int((3 * $bytes + 64 * 1024 * 1024) / 1024);

# migrate_validate parses it the same way, every piece (a fresh backend)
my ($vret, $vout, $verr) = $node->psql('postgres',
	"SELECT count(*) FROM migrate_validate('$dir');\n"
	  . "SELECT substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') FROM 'VmHWM:\\s+(\\d+) kB');",
	timeout => $PostgreSQL::Test::Utils::timeout_default);
is($vret, 0, 'the 64 MB file validates') or diag($verr);
my ($problems, $vhwm_kb) = split /\n/, $vout;
is($problems, 0, 'no problem found');
ok($vhwm_kb > 0 && $vhwm_kb <= $bound_kb,
	"validate: backend peak memory $vhwm_kb kB is under 3 x file + 64 MB ($bound_kb kB)");
note("validate: backend VmHWM: $vhwm_kb kB");

my ($ret, $out, $err) = $node->psql('postgres',
	"SELECT count(*) FROM migrate_apply('$dir');\n"
	  . "SELECT substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') FROM 'VmHWM:\\s+(\\d+) kB');",
	timeout => $PostgreSQL::Test::Utils::timeout_default);
is($ret, 0, 'the 64 MB file applies') or diag($err);
my ($applied, $hwm_kb) = split /\n/, $out;
is($applied, 1, 'one migration applied');
is($node->safe_psql('postgres', 'SELECT count(*) FROM big'), $id, 'every row is in');
ok($hwm_kb > 0 && $hwm_kb <= $bound_kb,
	"backend peak memory $hwm_kb kB is under 3 x file + 64 MB ($bound_kb kB)");
note("file: $bytes bytes; backend VmHWM: $hwm_kb kB");

$node->stop;
done_testing();
