# Positions in big migration files are found in linear time: the line (and
# column, in characters) of the last statement of a 50,000-statement file,
# on 50,000 lines or on one line, for a statement that fails when it runs
# and for a syntax error.  Counting from the start of the file for every
# statement (what this guards against) takes minutes here, not seconds,
# so a regression does not finish in the test's normal time.  No timing is
# measured.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $n = 50_000;
my $node = PostgreSQL::Test::Cluster->new('big_lines');
$node->init;
$node->start;

# statements with a multibyte character, so columns count characters, and
# a comment that makes the file 10 MB (quadratic: 250 GB read)
my $pad = '/* ' . ('x' x 150) . ' */';
sub statements
{
	my ($last) = @_;
	return (map { "INSERT INTO t VALUES ($_, 'é$_'); $pad" } 1 .. $n - 1), $last;
}

sub apply_error
{
	my ($db, $sql) = @_;
	fresh_db($node, $db);
	$node->safe_psql($db, 'CREATE TABLE t (id int, v text)');
	my $dir = new_folder();
	write_migration($dir, '1_big.up.sql', $sql);
	my ($ret, $out, $err) = $node->psql($db, "SELECT count(*) FROM migrate_apply('$dir')",
		timeout => $PostgreSQL::Test::Utils::timeout_default);
	return ($ret, $err, $db);
}

# one statement a line: the last one fails at run time, at line n + 1
my $prefix = "-- a big data migration\n";
my ($ret, $err, $db) = apply_error('lines',
	$prefix . join("\n", statements("INSERT INTO t VALUES (1/0, 'é');")) . "\n");
isnt($ret, 0, 'the last statement fails');
like($err, qr/ERROR:  division by zero/, 'with its own error');
like($err, qr/CONTEXT:  migration file "1_big.up.sql", line @{[ $n + 1 ]}, column 1: INSERT INTO t VALUES \(1\/0/,
	'the context names the last line');
is($node->safe_psql($db, 'SELECT count(*) FROM t'), '0', 'nothing of the file was kept');

# all on one line: the column counts characters up to the last statement
my @stmts = statements("INSERT INTO t VALUES (1/0, 'é');");
my $line = join(' ', @stmts);
my ($chars, $last) = ($line, $stmts[-1]);
utf8::decode($chars);
utf8::decode($last);
my $column = length($chars) - length($last) + 1;
($ret, $err, $db) = apply_error('one_line', $line . "\n");
like($err, qr/CONTEXT:  migration file "1_big.up.sql", line 1, column $column: INSERT INTO t VALUES \(1\/0/,
	'on one line: the column of the last statement, in characters');

# a syntax error in the last statement: found before anything runs
my $text = join("\n", statements("INSERT INTO t VALUES (1, 'é'),, (2, 'x');")) . "\n";
($ret, $err, $db) = apply_error('syntax', $text);
like($err, qr/ERROR:  syntax error at or near ","/, 'a syntax error in the last statement');
like($err, qr/CONTEXT:  migration file "1_big.up.sql", line $n, column 31/,
	'the context names its line and column');

# the same file checked by migrate_validate and migrate_lint
my $dir = new_folder();
write_migration($dir, '1_big.up.sql', $text);
like($node->safe_psql('syntax', "SELECT problem FROM migrate_validate('$dir')"),
	qr/line $n, column 31/, 'migrate_validate names the same position');

$node->stop;
done_testing();
