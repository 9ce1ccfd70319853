# Several sessions applying the same folder at once: every migration is
# applied exactly once, nobody errors, and golang-migrate's own advisory
# lock holds pg_migrate back.
use strict;
use warnings;

use Compress::Zlib qw(crc32);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('concurrent');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_migrate');

# 40 migrations; each logs its own run so double application would show
my $dir = PostgreSQL::Test::Utils::tempdir;
my $nfiles = 40;
sub write_file
{
	my ($name, $body) = @_;
	open my $fh, '>', "$dir/$name" or die "could not write $dir/$name: $!";
	print $fh $body;
	close $fh;
}
write_file('1_log.up.sql', "CREATE TABLE run_log (version int NOT NULL, pid int NOT NULL DEFAULT pg_backend_pid());\n"
	. "INSERT INTO run_log (version) VALUES (1);\n");
for my $v (2 .. $nfiles)
{
	write_file("${v}_t$v.up.sql", "CREATE TABLE t$v (id int PRIMARY KEY);\n"
		. "INSERT INTO run_log (version) VALUES ($v);\nSELECT pg_sleep(0.005);\n");
}

my $connstr = $node->connstr('postgres');
my (@out, @err, @h);
for my $i (0 .. 3)
{
	($out[$i], $err[$i]) = ('', '');
	$h[$i] = IPC::Run::start(
		[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $connstr,
		  '-c', "SELECT count(*) FROM migrate_apply('$dir')" ],
		'>', \$out[$i], '2>', \$err[$i]);
}
my $total = 0;
for my $i (0 .. 3)
{
	$h[$i]->finish;
	is($h[$i]->result(0), 0, "session $i succeeded");
	is($err[$i], '', "session $i printed no error");
	chomp $out[$i];
	$total += $out[$i];
}
is($total, $nfiles, 'the sessions together applied each migration once');
is($node->safe_psql('postgres',
		'SELECT count(*), count(DISTINCT version) FROM run_log'),
	"$nfiles|$nfiles", 'each migration ran exactly once');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pgmigrate.history WHERE state = 'applied'"),
	$nfiles, 'one history row per migration');
is($node->safe_psql('postgres', 'SELECT version, dirty FROM schema_migrations'),
	"$nfiles|f", 'schema_migrations holds the highest version');

# golang-migrate's lock: key = crc32("public\0schema_migrations\0<db>") * salt
my $key = (crc32("public\0schema_migrations\0postgres") * 1486364155) % 4294967296;
write_file('41_after_lock.up.sql', "CREATE TABLE after_lock (id int);\n");
my $holder = $node->background_psql('postgres');
$holder->query_safe("SELECT pg_advisory_lock($key)");

my ($waiter_out, $waiter_err) = ('', '');
my $waiter = IPC::Run::start(
	[ 'psql', '-XAtq', '-d', $connstr, '-c', "SELECT name FROM migrate_apply('$dir')" ],
	'>', \$waiter_out, '2>', \$waiter_err);
ok($node->poll_query_until('postgres',
		"SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE '%migrate_apply%' "
		  . "AND wait_event = 'Extension' AND pid <> pg_backend_pid()"),
	'migrate_apply waits for the golang-migrate lock');
is($node->safe_psql('postgres', "SELECT to_regclass('after_lock') IS NULL"), 't',
	'nothing applied while golang-migrate holds its lock');
$holder->query_safe("SELECT pg_advisory_unlock($key)");
$holder->quit;
$waiter->finish;
is($waiter_out, "after_lock\n", 'applied once the lock was released');

$node->stop;
done_testing();
