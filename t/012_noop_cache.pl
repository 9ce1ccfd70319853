# The checksum cache of a no-op call (checksum_cache.c): a file changed
# after it was hashed is seen as modified whatever its size and
# modification time say; a file replaced by a copy of itself stays applied;
# a file written in the second before it was hashed is read again.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('cache');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_migrate');

my $dir = new_folder();
write_migration($dir, '1_a.up.sql', "CREATE TABLE a (id int);\n");
write_migration($dir, '2_b.up.sql', "CREATE TABLE b (id int);\n");
write_migration($dir, '3_c.up.sql', "CREATE TABLE c (id int);\n");
sleep 2;    # older than the racy window

my $bg = $node->background_psql('postgres');
sub states
{
	return $bg->query_safe(
		"SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM migrate_status('$dir')");
}
$bg->query_safe("SELECT count(*) FROM migrate_apply('$dir')");
is(states(), '1:applied,2:applied,3:applied', 'applied; this backend remembers the checksums');
is(states(), '1:applied,2:applied,3:applied', 'a second look from the cache agrees');

# same size, same modification time: only the change time tells
my @st = stat("$dir/2_b.up.sql");
open my $fh, '+<', "$dir/2_b.up.sql" or die;
print $fh "CREATE TABLE x (id int);\n";
close $fh;
utime $st[8], $st[9], "$dir/2_b.up.sql";
is((stat("$dir/2_b.up.sql"))[9], $st[9], 'the modification time was put back');
is(states(), '1:applied,2:modified,3:applied', 'the edit is seen (the change time moved)');

# a copy of the file put in its place: another inode, the same bytes
write_migration($dir, '3_c.up.sql', "CREATE TABLE c (id int);\n");
is(states(), '1:applied,2:modified,3:applied', 'a file replaced by the same bytes stays applied');

# written and looked at within a second, then edited within that second
write_migration($dir, '1_a.up.sql', "CREATE TABLE a (id int);\n");
is(states(), '1:applied,2:modified,3:applied', 'a fresh copy of file 1 is read');
write_migration($dir, '1_a.up.sql', "CREATE TABLE q (id int);\n");
is(states(), '1:modified,2:modified,3:applied', 'and an edit right after it is seen');

$bg->quit;
$node->stop;
done_testing();
