# The real dbmate (installed from npm by test/dbmate.sh) and pg_migrate on
# the same databases, each after the other: dbmate finds nothing to do where
# pg_migrate applied a folder, pg_migrate adopts what dbmate applied and runs
# only the rest, each one's roll back is pending again for the other, and a
# dbmate failure part-way through a folder leaves a state pg_migrate reads
# as dbmate does.  Skipped, saying why, only when npm is missing or cannot
# install dbmate (no network).
use strict;
use warnings;

use File::Basename qw(dirname);
use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $top = dirname($FindBin::RealBin);
my ($dbmate, $why) = ('', '');
IPC::Run::run([ 'bash', "$top/test/dbmate.sh" ], '>', \$dbmate, '2>', \$why);
chomp $dbmate;
if ($? != 0 || $dbmate eq '')
{
	$why =~ s/\s+/ /g;
	plan skip_all => "the real dbmate is not available: $why";
}
note "dbmate: $dbmate";

my $node = PostgreSQL::Test::Cluster->new('dbmate');
$node->init;
$node->start;
my $user = getpwuid($<);
my ($host, $port) = ($node->host, $node->port);

# Runs dbmate on database $db with folder $dir; returns (exit code, output).
sub dbmate
{
	my ($db, $dir, @command) = @_;
	my $url = "postgres://$user@/$db?host=$host&port=$port&sslmode=disable";
	my $out = '';
	IPC::Run::run(
		[
			$dbmate, '--url', $url, '--migrations-dir', $dir,
			'--no-dump-schema', @command
		],
		'>&', \$out);
	return ($? >> 8, $out);
}

sub query
{
	my ($db, $sql) = @_;
	return $node->safe_psql($db, $sql);
}

# Everything the migrations create in schema public (outside the
# extension): columns, indexes and their validity, functions' bodies,
# views, dbmate's table with its rows, and the log the migrations write.
my $fingerprint = q{
SELECT md5(string_agg(x, E'\n' ORDER BY x)) FROM (
  SELECT format('col %s.%s %s %s', c.relname, a.attname,
				format_type(a.atttypid, a.atttypmod), a.attnotnull)
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
  WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0
	AND NOT a.attisdropped
	AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
  UNION ALL
  SELECT format('index %s %s', pg_get_indexdef(i.indexrelid), i.indisvalid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  WHERE c.relnamespace = 'public'::regnamespace
  UNION ALL
  SELECT format('func %s %s', p.oid::regprocedure, md5(p.prosrc))
  FROM pg_proc p
  WHERE p.pronamespace = 'public'::regnamespace
	AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
  UNION ALL
  SELECT format('view %s %s', c.relname, pg_get_viewdef(c.oid))
  FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'v'
	AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
  UNION ALL
  SELECT 'row ' || version FROM public.schema_migrations
  UNION ALL
  SELECT format('log %s %s', version, count(*)) FROM public.dm_log GROUP BY version
) s(x)};

# The folder: written as dbmate users write them.  Comments before the
# markers, dollar quotes holding semicolons and marker-like text, CRLF
# line endings, a transaction:false CREATE INDEX CONCURRENTLY (alone: dbmate
# sends a section as one query, which PostgreSQL runs as one implicit
# transaction when it holds several statements), and every up section
# but that one logs its version in dm_log so a second run would show.
my %files = (
	'20240101000001_create_posts.sql' => <<'EOF',
-- Posts and the slug function.
-- (dbmate allows comments and blank lines before the up marker)

-- migrate:up
CREATE TABLE dm_log (version text NOT NULL, at timestamptz DEFAULT now());
CREATE TABLE dm_posts (
	id serial PRIMARY KEY,
	title text NOT NULL,
	body text
);
CREATE FUNCTION dm_slug(t text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT lower(regexp_replace(t, '[^a-zA-Z0-9]+', '-', 'g'));
$$;
INSERT INTO dm_posts (title, body) VALUES ('Hello, World', 'first; post');
INSERT INTO dm_log (version) VALUES ('20240101000001');

-- migrate:down
DROP FUNCTION dm_slug(text);
DROP TABLE dm_posts;
DROP TABLE dm_log;
EOF
	'20240101000002_add_slug.sql' => join(
		"\r\n",
		'-- CRLF line endings, as an editor on Windows saves them',
		'-- migrate:up',
		'ALTER TABLE dm_posts ADD COLUMN slug text;',
		'UPDATE dm_posts SET slug = dm_slug(title);',
		"INSERT INTO dm_log (version) VALUES ('20240101000002');",
		'',
		'-- migrate:down',
		'ALTER TABLE dm_posts DROP COLUMN slug;',
		"DELETE FROM dm_log WHERE version = '20240101000002';",
		''),
	'20240101000003_index_slug.sql' => <<'EOF',
-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY dm_posts_slug ON dm_posts (slug);

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY dm_posts_slug;
EOF
	'20240101000004_touch.sql' => <<'EOF',
-- migrate:up
CREATE FUNCTION dm_touch() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
	-- a line that is no marker: -- migrate:down
	NEW.body := coalesce(NEW.body, '') || ';';
	RETURN NEW;
END;
$body$;
CREATE TRIGGER dm_posts_touch BEFORE UPDATE ON dm_posts
	FOR EACH ROW EXECUTE FUNCTION dm_touch();
INSERT INTO dm_log (version) VALUES ('20240101000004');

-- migrate:down
DROP TRIGGER dm_posts_touch ON dm_posts;
DROP FUNCTION dm_touch();
DELETE FROM dm_log WHERE version = '20240101000004';
EOF
	'20240101000005_view.sql' => <<'EOF',
-- migrate:up
CREATE VIEW dm_titles AS SELECT id, title, slug FROM dm_posts;
INSERT INTO dm_log (version) VALUES ('20240101000005');
-- migrate:down
DROP VIEW dm_titles;
DELETE FROM dm_log WHERE version = '20240101000005';
EOF
);
my @names = sort keys %files;
my @versions = map { /^(\d+)_/ } @names;

# A folder holding the named files.
sub folder
{
	my $dir = new_folder();
	write_migration($dir, $_, $files{$_}) for @_;
	return $dir;
}

sub versions_in_table
{
	my ($db) = @_;
	return query($db,
		"SELECT string_agg(version, ',' ORDER BY version) FROM public.schema_migrations");
}

sub log_rows
{
	my ($db) = @_;
	return query($db,
		"SELECT string_agg(version || 'x' || n, ',' ORDER BY version) FROM (SELECT version, count(*) n FROM dm_log GROUP BY version) s");
}

sub states
{
	my ($db, $dir) = @_;
	return query($db,
		"SELECT string_agg(version || ' ' || state, ',' ORDER BY version) FROM migrate_status('$dir', format => 'dbmate')");
}

my $all_logged = join(',', map { "${_}x1" } grep { !/03$/ } @versions);

# --- The reference: dbmate alone applies the folder.
my $full = folder(@names);
fresh_db($node, 'dm_ref');
my ($rc, $out) = dbmate('dm_ref', $full, 'up');
is($rc, 0, 'dbmate alone applies the folder') or diag($out);
is(() = $out =~ /^Applied: /mg, 5, 'dbmate applied five migrations');
is( query('dm_ref',
		"SELECT format_type(atttypid, atttypmod) || ' ' || attnotnull FROM pg_attribute WHERE attrelid = 'public.schema_migrations'::regclass AND attnum > 0"),
	'character varying true',
	"dbmate's own table: version varchar, no length, not null");
my $reference = query('dm_ref', $fingerprint);
my $table_def = q{SELECT string_agg(format('%s %s %s', attname, format_type(atttypid, atttypmod), attnotnull), ', ' ORDER BY attnum)
	|| ' / ' || (SELECT string_agg(pg_get_constraintdef(oid), ', ') FROM pg_constraint WHERE conrelid = 'public.schema_migrations'::regclass)
	FROM pg_attribute WHERE attrelid = 'public.schema_migrations'::regclass AND attnum > 0 AND NOT attisdropped};
my $ref_table = query('dm_ref', $table_def);

# --- (1) pg_migrate applies the folder; dbmate finds nothing to do.
fresh_db($node, 'dm_one');
query('dm_one', "CALL migrate_run('$full')");
is(states('dm_one', $full), join(',', map { "$_ applied" } @versions),
	'(1) pg_migrate applied every migration');
is(versions_in_table('dm_one'), join(',', @versions),
	"(1) dbmate's table has one row per migration, its version as written");
is(query('dm_one', $table_def), $ref_table,
	"(1) pg_migrate created dbmate's table exactly as dbmate does");
is(query('dm_one', $fingerprint), $reference,
	'(1) the same schema, rows and log as dbmate alone');
($rc, $out) = dbmate('dm_one', $full, 'up');
is($rc, 0, '(1) dbmate up succeeds');
unlike($out, qr/Applying/, '(1) dbmate up applies nothing') or diag($out);
is(query('dm_one', $fingerprint), $reference, '(1) the schema is unchanged');
($rc, $out) = dbmate('dm_one', $full, 'status', '--exit-code');
is($rc, 0, '(1) dbmate status: nothing pending');
is(() = $out =~ /^\[X\] /mg, 5, '(1) dbmate status lists all five applied');
like($out, qr/^Applied: 5\s+Pending: 0/m, '(1) dbmate counts them') or diag($out);

# --- (2) dbmate applies part of a folder; pg_migrate adopts it and runs
# the rest, each once.
my $part = folder(@names[ 0 .. 1 ]);
fresh_db($node, 'dm_two');
($rc, $out) = dbmate('dm_two', $part, 'up');
is($rc, 0, '(2) dbmate applies the first two') or diag($out);
write_migration($part, $_, $files{$_}) for @names[ 2 .. 4 ];
is(states('dm_two', $part),
	"$versions[0] applied,$versions[1] applied,$versions[2] pending,$versions[3] pending,$versions[4] pending",
	"(2) pg_migrate's status reads dbmate's table");
query('dm_two', "CALL migrate_run('$part')");
is( query('dm_two',
		"SELECT string_agg(version || ' ' || state || ' ' || applied_by, ',' ORDER BY id) FROM pgmigrate.history WHERE state = 'baselined'"),
	"$versions[0] baselined dbmate (public.schema_migrations),$versions[1] baselined dbmate (public.schema_migrations)",
	'(2) what dbmate applied is recorded as baselined, from its table');
is( query('dm_two',
		"SELECT string_agg(version::text, ',' ORDER BY id) FROM pgmigrate.history WHERE state = 'applied'"),
	join(',', @versions[ 2 .. 4 ]),
	'(2) pg_migrate ran only the rest');
is(log_rows('dm_two'), $all_logged, '(2) every migration ran exactly once');
is(query('dm_two', $fingerprint), $reference, '(2) the same schema as dbmate alone');
($rc, $out) = dbmate('dm_two', $part, 'status', '--exit-code');
is($rc, 0, '(2) dbmate status: nothing pending') or diag($out);
($rc, $out) = dbmate('dm_two', $part, 'up');
is($rc, 0, '(2) dbmate up succeeds');
unlike($out, qr/Applying/, '(2) dbmate up applies nothing') or diag($out);
is(log_rows('dm_two'), $all_logged, '(2) still once each');

# --- (3) Each tool's roll back is pending again for the other.
($rc, $out) = dbmate('dm_one', $full, 'rollback');
is($rc, 0, '(3) dbmate rolls back the newest migration') or diag($out);
like($out, qr/Rolled back: $names[4]/, '(3) dbmate ran its down section');
is(query('dm_one', "SELECT to_regclass('dm_titles') IS NULL"), 't', '(3) the view is gone');
is(versions_in_table('dm_one'), join(',', @versions[ 0 .. 3 ]), "(3) dbmate deleted its row");
is((split /,/, states('dm_one', $full))[4], "$versions[4] pending",
	"(3) pg_migrate's status shows it pending");
is(query('dm_one', "SELECT string_agg(version::text, ',') FROM migrate_apply('$full', format => 'dbmate')"),
	$versions[4], '(3) pg_migrate applies it again, and only it');
is( query('dm_one',
		"SELECT string_agg(state, ',' ORDER BY id) FROM pgmigrate.history WHERE version = $versions[4]"),
	'applied,reverted,applied',
	"(3) the history says dbmate reverted it and pg_migrate re-applied it");
is(query('dm_one', $fingerprint), $reference, '(3) back to the same schema');

is(query('dm_one', "SELECT string_agg(version::text, ',' ORDER BY version DESC) FROM migrate_down('$full', 2, format => 'dbmate')"),
	"$versions[4],$versions[3]", '(3) pg_migrate reverts the newest two');
is(versions_in_table('dm_one'), join(',', @versions[ 0 .. 2 ]), "(3) and deletes their rows as dbmate would");
($rc, $out) = dbmate('dm_one', $full, 'status');
like($out, qr/^\[ \] $names[3]\n\[ \] $names[4]\n\nApplied: 3\s+Pending: 2/m,
	'(3) dbmate status shows them pending') or diag($out);
# dbmate rolls back the transaction:false migration pg_migrate applied
($rc, $out) = dbmate('dm_one', $full, 'rollback');
is($rc, 0, '(3) dbmate rolls back the concurrent index') or diag($out);
like($out, qr/Rolled back: $names[2]/, '(3) with its transaction:false down section');
is(query('dm_one', "SELECT to_regclass('dm_posts_slug') IS NULL"), 't', '(3) the index is gone');
is(states('dm_one', $full),
	"$versions[0] applied,$versions[1] applied,$versions[2] pending,$versions[3] pending,$versions[4] pending",
	"(3) pg_migrate sees all three pending");
query('dm_one', "CALL migrate_run('$full')");
is(versions_in_table('dm_one'), join(',', @versions), '(3) pg_migrate re-applies them');
is(query('dm_one', "SELECT indisvalid FROM pg_index WHERE indexrelid = 'dm_posts_slug'::regclass"),
	't', '(3) the concurrent index is valid');
is(query('dm_one', $fingerprint), $reference, '(3) the same schema as dbmate alone, log included');
($rc, $out) = dbmate('dm_one', $full, 'status', '--exit-code');
is($rc, 0, '(3) dbmate: nothing pending') or diag($out);

# --- (4) A dbmate failure part-way through a folder.
my $bad = folder(@names[ 0 .. 1 ]);
write_migration($bad, '20240101000003_bad.sql', <<'EOF');
-- migrate:up
CREATE TABLE dm_half (id int);
INSERT INTO dm_log (version) VALUES ('20240101000003');
SELECT 1 / 0;
-- migrate:down
DROP TABLE dm_half;
EOF
write_migration($bad, $names[3], $files{ $names[3] });
fresh_db($node, 'dm_four');
($rc, $out) = dbmate('dm_four', $bad, 'up');
isnt($rc, 0, '(4) dbmate fails on the bad file');
like($out, qr/division by zero/, '(4) and says why') or diag($out);
is(versions_in_table('dm_four'), join(',', @versions[ 0 .. 1 ]),
	'(4) dbmate recorded the two before it');
is(query('dm_four', "SELECT to_regclass('dm_half') IS NULL"), 't',
	"(4) the bad file's transaction rolled back");
is(states('dm_four', $bad),
	"$versions[0] applied,$versions[1] applied,20240101000003 pending,$versions[3] pending",
	"(4) pg_migrate's view: dbmate's two applied, the rest pending");
my ($ok, $stdout, $stderr) = $node->psql('dm_four', "SELECT migrate_apply('$bad', format => 'dbmate')");
like($stderr, qr/division by zero/, '(4) pg_migrate fails on the same file');
is(versions_in_table('dm_four'), join(',', @versions[ 0 .. 1 ]),
	"(4) dbmate's table is as dbmate left it");
($rc, $out) = dbmate('dm_four', $bad, 'status');
like($out, qr/Applied: 2\s+Pending: 2/, '(4) dbmate agrees') or diag($out);
# the file fixed, dbmate finishes the folder and pg_migrate adopts it
write_migration($bad, '20240101000003_bad.sql', <<'EOF');
-- migrate:up
CREATE TABLE dm_half (id int);
INSERT INTO dm_log (version) VALUES ('20240101000003');
-- migrate:down
DROP TABLE dm_half;
EOF
($rc, $out) = dbmate('dm_four', $bad, 'up');
is($rc, 0, '(4) dbmate applies the fixed file and the rest') or diag($out);
is(states('dm_four', $bad),
	join(',', map { "$_ applied" } @versions[ 0 .. 1 ], '20240101000003', $versions[3]),
	'(4) pg_migrate sees everything applied');
query('dm_four', "CALL migrate_run('$bad')");
is( query('dm_four',
		"SELECT string_agg(version || 'x' || n, ',' ORDER BY version) FROM (SELECT version, count(*) n FROM dm_log GROUP BY version) s"),
	"$versions[0]x1,$versions[1]x1,20240101000003x1,$versions[3]x1",
	'(4) and runs nothing again');

# --- The shared fixture (test/fixtures/format_dbmate), whose second file
# starts with a byte order mark: pg_migrate reads it (format_dbmate.c),
# dbmate 2.36.0 does not ("dbmate requires each migration to define an up
# block") but never reads a file it need not run, so once pg_migrate has
# applied the folder dbmate's up and status work.
my $fixture = "$top/test/fixtures/format_dbmate";
fresh_db($node, 'dm_fixture');
query('dm_fixture', "CALL migrate_run('$fixture')");
($rc, $out) = dbmate('dm_fixture', $fixture, 'up');
is($rc, 0, 'fixture: dbmate up after pg_migrate succeeds');
unlike($out, qr/Applying/, 'fixture: dbmate up applies nothing') or diag($out);
($rc, $out) = dbmate('dm_fixture', $fixture, 'status', '--exit-code');
like($out, qr/Applied: 3\s+Pending: 0/, 'fixture: dbmate status lists all three applied')
  or diag($out);

$node->stop;
done_testing();
