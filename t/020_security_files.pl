# Security of what is read: pg_migrate.allowed_directories is checked on the
# folder and file that were opened, not on a name that a link swapped in
# afterwards can redirect (issue 8, item 4); reading and parsing are linear
# in the size of a file and can be interrupted (item 16); a .sql name in
# another letter case is reported, and migrate_validate reports what
# migrate_apply refuses (item 23).
#
# To add a check: make its folder under $allowed (or $outside for what must
# never be read), then assert on the rows, the SQLSTATE and the message.
use strict;
use warnings;

use Digest::SHA qw(sha256_hex);
use FindBin;
use POSIX ();
use lib $FindBin::RealBin;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $base = PostgreSQL::Test::Utils::tempdir;
my $allowed = "$base/allowed";
my $outside = "$base/outside";
mkdir $_ or die "mkdir $_: $!" for ($allowed, $outside);

my $node = PostgreSQL::Test::Cluster->new('security_files');
$node->init;
$node->append_conf('postgresql.conf', "pg_migrate.allowed_directories = '$allowed'\n");
$node->start;

# Each part has a database of its own: what one part applies does not
# change what another sees.
my $db;
sub new_database
{
	($db) = @_;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE EXTENSION pg_migrate');
	return;
}

# Runs one statement in $db; returns "ok: <output>" or "<SQLSTATE>:
# <message>", with the detail and the migration-file context line when
# there are.
sub try_sql
{
	my ($sql, %opts) = @_;
	my ($out, $err) = ('', '');
	my $timed_out = 0;
	$node->psql($db, "\\set VERBOSITY verbose\n$sql",
		stdout => \$out, stderr => \$err,
		timeout => $opts{timeout} || $PostgreSQL::Test::Utils::timeout_default,
		timed_out => \$timed_out,
		on_error_stop => 1);
	return 'timed out' if $timed_out;
	return "ok: $out" if $err !~ /ERROR:/;
	my ($code, $msg) = $err =~ /ERROR:\s+([0-9A-Z]{5}):\s+(.*)/;
	my ($detail) = $err =~ /DETAIL:\s+(.*)/;
	my ($where) = $err =~ /CONTEXT:\s+(migration file .*)/;
	my $r = "$code: $msg";
	$r .= " | $detail" if defined $detail;
	$r .= " | $where" if defined $where;
	return $r;
}

# A new folder $allowed/$name holding the given files; returns its path.
sub folder
{
	my ($name, %files) = @_;
	my $dir = "$allowed/$name";
	mkdir $dir or die "mkdir $dir: $!";
	write_migration($dir, $_, $files{$_}) for sort keys %files;
	return $dir;
}

#
# Item 4: what is checked is what is read.
#
new_database('links');
my $inside_sql = "SELECT 'inside';\n";
my $secret_sql = "CREATE TABLE secret_ran (id int);\n";
my $inside_sum = sha256_hex($inside_sql);
my $secret_sum = sha256_hex($secret_sql);

folder('real', '1_x.up.sql' => $inside_sql);
write_migration($allowed, 'inside.sql', $inside_sql);
mkdir "$outside/dir" or die;
write_migration("$outside/dir", '1_x.up.sql', $secret_sql);
write_migration($outside, 'secret.sql', $secret_sql);

# links that stay inside the allowed directories are followed
symlink("$allowed/real", "$allowed/folder_in") or die;
symlink("$allowed/inside.sql", folder('file_in') . '/1_x.up.sql') or die;
is(try_sql("SELECT checksum FROM migrate_status('$allowed/folder_in')"),
	"ok: $inside_sum", 'a folder link inside the allowed directories is followed');
is(try_sql("SELECT checksum FROM migrate_status('$allowed/file_in')"),
	"ok: $inside_sum", 'a file link inside the allowed directories is followed');

# links that lead outside are refused, by every function that reads
symlink("$outside/secret.sql", folder('file_out') . '/1_x.up.sql') or die;
symlink("$outside/secret.sql", "$allowed/hop.sql") or die;
symlink("$allowed/hop.sql", folder('chain') . '/1_x.up.sql') or die;
symlink("$outside/dir", "$allowed/folder_out") or die;
for my $call ('migrate_status', 'migrate_apply')
{
	is(try_sql("SELECT * FROM $call('$allowed/file_out')"),
		qq{42501: migration file "1_x.up.sql" is outside pg_migrate.allowed_directories | }
		  . qq{Migration file "1_x.up.sql" in folder "$allowed/file_out" resolves to "$outside/secret.sql". | }
		  . qq{migration file "1_x.up.sql"},
		"$call refuses a file linked outside");
	like(try_sql("SELECT * FROM $call('$allowed/chain')"),
		qr/^42501: migration file "1_x.up.sql" is outside pg_migrate.allowed_directories/,
		"$call refuses a chain of links that ends outside");
	like(try_sql("SELECT * FROM $call('$allowed/folder_out')"),
		qr/^42501: migration folder "\Q$allowed\E\/folder_out" is outside pg_migrate.allowed_directories \| The folder resolves to "\Q$outside\E\/dir"/,
		"$call refuses a folder linked outside");
}
like(try_sql("SELECT file, problem FROM migrate_validate('$allowed/file_out')"),
	qr/^ok: 1_x.up.sql\|migration file "1_x.up.sql" is outside pg_migrate.allowed_directories/,
	'migrate_validate reports a file linked outside');

# A link swapped between a file inside and one outside, and a folder link
# swapped between a folder inside and one outside, as fast as the machine
# goes, while migrate_status reads them thousands of times: whatever the
# timing, the bytes outside are never read.  (Checked by name and then
# opened by name, they were read a few times in every thousand calls.)
symlink("$allowed/inside.sql", folder('race') . '/1_x.up.sql') or die;
symlink("$allowed/real", "$allowed/race_folder") or die;
our $swapper = fork();
die "fork: $!" unless defined $swapper;
END { kill 'KILL', $swapper if $swapper; }
if ($swapper == 0)
{
	my @links = ("$allowed/race/1_x.up.sql", "$allowed/race_folder");
	my @targets = (
		[ "$allowed/inside.sql", "$allowed/real" ],
		[ "$outside/secret.sql", "$outside/dir" ]);
	my $stop = time + 3 * $PostgreSQL::Test::Utils::timeout_default;

	# the new link is made elsewhere, so that only the rename that puts it
	# in place changes the folder being read
	mkdir "$base/swap" or die;
	while (time < $stop)
	{
		# each link inside for as long as outside
		for my $to (@targets)
		{
			for my $i (0, 1)
			{
				symlink($to->[$i], "$base/swap/$i") or next;
				rename("$base/swap/$i", $links[$i]) or unlink "$base/swap/$i";
			}
		}
	}
	# no END blocks here: they belong to the test, which stops the node
	POSIX::_exit(0);
}
my $race = $node->safe_psql($db, qq{
CREATE FUNCTION pg_temp.race(dir text, n int, OUT inside int, OUT outside int, OUT refused int, OUT other text)
LANGUAGE plpgsql AS \$\$
DECLARE
	c text;
BEGIN
	inside := 0; outside := 0; refused := 0; other := '';
	FOR i IN 1..n LOOP
		BEGIN
			SELECT s.checksum INTO c FROM migrate_status(dir) AS s WHERE s.version = 1;
			IF c = '$inside_sum' THEN
				inside := inside + 1;
			ELSIF c = '$secret_sum' THEN
				outside := outside + 1;
			ELSE
				other := other || ' checksum ' || coalesce(c, 'none');
			END IF;
		EXCEPTION
			WHEN insufficient_privilege THEN
				refused := refused + 1;
			WHEN OTHERS THEN
				other := other || ' ' || SQLSTATE || ' ' || SQLERRM;
		END;
	END LOOP;
END
\$\$;
SELECT format('%s inside, %s outside, %s refused, other:%s', inside, outside, refused, other)
FROM pg_temp.race('$allowed/race', 5000)
UNION ALL
SELECT format('%s inside, %s outside, %s refused, other:%s', inside, outside, refused, other)
FROM pg_temp.race('$allowed/race_folder', 5000);
});
kill 'KILL', $swapper;
waitpid($swapper, 0);
$swapper = 0;
my @race = split /\n/, $race;
for my $r (['file link', $race[0]], ['folder link', $race[1]])
{
	my ($what, $line) = @$r;
	note("$what swapped: $line");
	like($line, qr/^\d+ inside, 0 outside, \d+ refused, other:$/,
		"$what swapped during reads: nothing outside is ever read");
	my ($in, $refused) = $line =~ /^(\d+) inside, \d+ outside, (\d+) refused/;
	ok(defined $in && $in > 0 && $refused > 0,
		"$what swapped during reads: both targets were met (the race ran)");
}
is($node->safe_psql($db, "SELECT to_regclass('secret_ran') IS NULL"), 't',
	'nothing outside ran');

#
# Item 16: linear in the number of statements, interruptible.
#
new_database('large');
# 200,000 statements, then a refused one: with quadratic line counting
# (each statement's line counted from the start of the file) this did not
# finish in 30 seconds here; linear, it takes well under one.  The line of
# the last statement must still be right.
my $huge = folder('huge', '1_huge.up.sql' => ("SELECT 1;\n" x 200_000) . "  ROLLBACK;\n");
is(try_sql("SELECT * FROM migrate_apply('$huge')", timeout => 30),
	qq{2D000: ROLLBACK is not allowed in migration file "1_huge.up.sql" | }
	  . qq{migration file "1_huge.up.sql", line 200001, column 3: ROLLBACK},
	'a file of 200,000 statements is parsed in linear time; the error names its last line');
is(try_sql("SELECT problem FROM migrate_validate('$huge')", timeout => 30),
	qq{ok: ROLLBACK is not allowed in migration file "1_huge.up.sql" }
	  . qq{(migration file "1_huge.up.sql", line 200001, column 3: ROLLBACK)},
	'migrate_validate names the same line, in linear time');

# 200,000 statements that lint refuses: every one gets its position, in
# file order, so positions must be counted on from the last one.
my $refused = folder('refused', '1_refused.up.sql' => "SAVEPOINT s;\n" x 200_000);
is(try_sql("SELECT * FROM migrate_apply('$refused')", timeout => 30),
	qq{2D000: SAVEPOINT is not allowed in migration file "1_refused.up.sql" | }
	  . qq{migration file "1_refused.up.sql", line 1, column 1: SAVEPOINT s},
	'200,000 refused statements are positioned in linear time');

# The line and column of the last statement of a large file: raised while
# running it; and with every statement on one line, where columns are
# counted on from the last statement, not from the start of the line.
my %last = (
	'run' => [ ("SELECT 1;\n" x 50_000) . "SELECT 1 FROM nosuch;\n",
		qq{42P01: relation "nosuch" does not exist | }
		  . qq{migration file "1_last.up.sql", line 50001, column 15: SELECT 1 FROM nosuch} ],
	'one_line' => [ ("SELECT 1; " x 100_000) . "ROLLBACK;\n",
		qq{2D000: ROLLBACK is not allowed in migration file "1_last.up.sql" | }
		  . qq{migration file "1_last.up.sql", line 1, column 1000001: ROLLBACK} ]);
for my $name (sort keys %last)
{
	my ($sql, $want) = @{ $last{$name} };
	my $dir = folder("last_$name", '1_last.up.sql' => $sql);
	is(try_sql("SELECT * FROM migrate_apply('$dir')", timeout => 60),
		$want, "the position of the last statement of a large file ($name)");
}

# A 10 MB file of 1,000,000 statements: reading, checking, hashing and
# parsing it take long enough for a 10 ms statement_timeout to stop them,
# at the next interrupt check (before: only once every line was counted).
my $cancel = folder('cancel', '1_big.up.sql' => "SELECT 1;\n" x 1_000_000);
like(try_sql("SET statement_timeout = '10ms'; SELECT * FROM migrate_apply('$cancel')",
		timeout => 30),
	qr/^57014: canceling statement due to statement timeout/,
	'reading and parsing a large file can be interrupted');
like(try_sql("SET statement_timeout = '10ms'; SELECT * FROM migrate_validate('$cancel')",
		timeout => 30),
	qr/^57014: canceling statement due to statement timeout/,
	'migrate_validate on a large file can be interrupted');

#
# Item 23: what migrate_apply refuses, migrate_validate reports.
#
new_database('names');
my $case = folder('case',
	'1_a.up.sql' => "CREATE TABLE case_a (id int);\n",
	'2_b.up.SQL' => "CREATE TABLE case_b (id int);\n",
	'notes.md' => "ignored\n");
is(try_sql("SELECT * FROM migrate_apply('$case')"),
	qq{42602: invalid migration file name "2_b.up.SQL" | }
	  . qq{Migration file "2_b.up.SQL": Migration file names end in .up.sql or .down.sql, in lower case.},
	'a migration name with .up.SQL is refused, not skipped');
write_migration($case, '3_c.Down.sql', "DROP TABLE case_c;\n");
write_migration($case, 'README.SQL', "-- not a migration, but named like SQL\n");
is(try_sql("SELECT file, severity, problem FROM migrate_validate('$case') ORDER BY file"),
	"ok: 2_b.up.SQL|error|invalid migration file name: Migration file names end in .up.sql or .down.sql, in lower case.\n"
	  . "3_c.Down.sql|error|invalid migration file name: Migration file names end in .up.sql or .down.sql, in lower case.\n"
	  . "README.SQL|error|invalid migration file name: Migration files are named <version>_<name>.up.sql or <version>_<name>.down.sql, where <version> is a non-negative integer.",
	'migrate_validate reports every .sql name in another letter case');
is($node->safe_psql($db, "SELECT to_regclass('case_a') IS NULL AND to_regclass('case_b') IS NULL"),
	't', 'nothing of the refused folder ran');

new_database('no_transaction');
my $notx = folder('notx',
	'1_t.up.sql' => "CREATE TABLE notx (id int);\n",
	'2_idx.up.sql' => "-- an index built without blocking writes\n\n"
	  . "CREATE INDEX CONCURRENTLY notx_idx ON notx (id);\n",
	'3_marker.up.sql' => "-- pg_migrate:no-transaction\nVACUUM notx;\n");
like(try_sql("SELECT * FROM migrate_apply('$notx')"),
	qr/^25001: migration file "2_idx.up.sql" cannot run inside a transaction block \| It holds CREATE INDEX CONCURRENTLY; .* \| migration file "2_idx.up.sql", line 3$/,
	'migrate_apply refuses a file that cannot run in a transaction block');
is(try_sql("SELECT file, version, severity, problem FROM migrate_validate('$notx') ORDER BY version"),
	"ok: 2_idx.up.sql|2|warning|cannot run inside a transaction block: it holds CREATE INDEX CONCURRENTLY (line 3); "
	  . "migrate_apply refuses it, migrate_apply_async and the background worker run it statement by statement\n"
	  . "3_marker.up.sql|3|warning|cannot run inside a transaction block: it holds a no-transaction marker (line 1); "
	  . "migrate_apply refuses it, migrate_apply_async and the background worker run it statement by statement",
	'migrate_validate reports the files migrate_apply would refuse');

$node->stop;
done_testing();
