# Files over 4 MB are parsed a piece at a time as they run (script.c,
# pgm_next_cut): the pieces must give exactly what parsing the whole file
# gives.  Function bodies (dollar quotes, BEGIN ATOMIC with CASE ... END),
# quotes holding semicolons (E'\';', "a;b"), comments and rules with
# several actions straddle the cuts; BEGIN/COMMIT no-ops across pieces; a
# syntax error, a ROLLBACK and a failing statement in a later piece name
# their line and leave nothing applied.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('pieces');
$node->init;
$node->start;

# one group of tricky statements (about 450 bytes); $k keeps names apart
sub group
{
	my ($k) = @_;
	return <<"SQL";
CREATE FUNCTION f$k() RETURNS text LANGUAGE plpgsql AS \$body\$
BEGIN
  RETURN 'a;b' || \$\$;\$\$;  -- ; in a comment
END \$body\$;
CREATE FUNCTION g$k(i int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN i > 0 THEN i ELSE 0 END;
  SELECT i + 1;
END;
/* a comment; /* nested; */ still; */
INSERT INTO t VALUES ($k, E'it\\'s;', 'x;"y', "g$k"(1));
INSERT INTO "r;x" VALUES ($k);
SQL
}

sub big_file
{
	my ($groups, $middle, $last) = @_;
	my $sql = "BEGIN;\nCREATE TABLE t (k int, a text, b text, c int);\nCREATE TABLE log (k int);\n"
	  . "CREATE TABLE \"r;x\" (id int);\n"
	  . "CREATE RULE r AS ON INSERT TO \"r;x\" DO ALSO (INSERT INTO log VALUES (NEW.id); INSERT INTO log VALUES (-NEW.id));\n";
	for my $k (1 .. $groups)
	{
		$sql .= group($k);
		$sql .= $middle if defined $middle && $k == int($groups / 2);
	}
	return $sql . ($last // '') . "COMMIT;\n";
}

sub apply
{
	my ($db, $sql) = @_;
	fresh_db($node, $db);
	my $dir = new_folder();
	write_migration($dir, '1_big.up.sql', $sql);
	my ($ret, $out, $err) = $node->psql($db, "SELECT count(*) FROM migrate_apply('$dir')",
		timeout => $PostgreSQL::Test::Utils::timeout_default);
	return ($ret, $out, $err);
}

sub line_of
{
	my ($sql, $text) = @_;
	my $at = index($sql, $text);
	return substr($sql, 0, $at) =~ tr/\n// + 1;
}

my $groups = 12000;    # about 5.5 MB: several pieces
my $sql = big_file($groups);
ok(length($sql) > 4 * 1024 * 1024, 'the file is over 4 MB');

my ($ret, $out, $err) = apply('whole', $sql);
is($ret, 0, 'the big file applies');
unlike($err, qr/NOTICE/, 'one BEGIN ... COMMIT around the whole file is quiet');
is($node->safe_psql('whole',
		"SELECT count(*), sum(c), count(DISTINCT a), min(b) FROM t"),
	"$groups|" . (2 * $groups) . "|1|x;\"y", 'every INSERT ran once, its quotes intact');
is($node->safe_psql('whole', 'SELECT count(*), sum(k) FROM log'), (2 * $groups) . '|0',
	'every rule ran both actions');
is($node->safe_psql('whole', "SELECT f$groups() || g$groups(0)"), 'a;b;1',
	'the last functions have their whole bodies');

# a COMMIT in the middle: every no-op is reported, the first BEGIN too
my $mid = big_file($groups, "COMMIT;\nBEGIN;\n");
($ret, $out, $err) = apply('middle', $mid);
is($ret, 0, 'a COMMIT; BEGIN; pair in the middle applies');
my @notices = $err =~ /NOTICE:  ignoring (\w+) on line (\d+)/g;
my $at = line_of($mid, "COMMIT;\nBEGIN;\n");
is_deeply(\@notices,
	[ 'BEGIN', 1, 'COMMIT', $at, 'BEGIN', $at + 1, 'COMMIT', ($mid =~ tr/\n//) ],
	'NOTICEs name each no-op line, across pieces')
  or diag($err);

# a syntax error in a later piece: its line, nothing applied
my $bad = big_file($groups, "INSERT INTO t VALUES (1,, 2);\n");
($ret, $out, $err) = apply('syntax', $bad);
like($err, qr/ERROR:  syntax error at or near ","/, 'a syntax error in a later piece');
my $line = line_of($bad, 'INSERT INTO t VALUES (1,,');
like($err, qr/CONTEXT:  migration file "1_big.up.sql", line $line, column 25/,
	'names its line and column');
is($node->safe_psql('syntax', "SELECT to_regclass('t') IS NULL"), 't', 'nothing was applied');

# a ROLLBACK in a later piece is refused before that piece runs
my $rb = big_file($groups, "ROLLBACK;\n");
($ret, $out, $err) = apply('rollback', $rb);
$line = line_of($rb, "ROLLBACK;\n");
like($err, qr/ERROR:  ROLLBACK is not allowed in migration file "1_big.up.sql".*CONTEXT:  migration file "1_big.up.sql", line $line, column 1: ROLLBACK/s,
	'a ROLLBACK in a later piece is refused, naming its line');
is($node->safe_psql('rollback', "SELECT to_regclass('t') IS NULL"), 't', 'nothing was applied');

# a statement failing at the end: its line and column
my $fail = big_file($groups, undef, "SELECT 1, 2/0;\n");
($ret, $out, $err) = apply('fail', $fail);
$line = line_of($fail, 'SELECT 1, 2/0');
like($err, qr/ERROR:  division by zero.*CONTEXT:  migration file "1_big.up.sql", line $line, column 1: SELECT 1, 2\/0/s,
	'a failing statement in the last piece names its line');

# a syntax error in the first piece is still found before anything runs
my $early = "CREATE TABLE early (id int);\nSELEC 1;\n" . big_file($groups);
($ret, $out, $err) = apply('early', $early);
like($err, qr/syntax error at or near "SELEC".*line 2, column 1/s, 'a syntax error in the first piece');
like($err, qr/nothing was applied, since every pending file is parsed before any runs/,
	'found before anything ran');

$node->stop;
done_testing();
