# Every format with down migrations: a folder written as the tool wants it
# (a function with dollar quotes, comments before markers, CRLF, an index
# built concurrently, under the tool's no-transaction marker where it
# holds for the up part only) is applied by
# CALL migrate_run, gives the objects the same SQL gives through psql, is
# reverted to an empty schema by migrate_down(dir, NULL) (the tool's table
# says nothing is applied), and is applied again to the same objects; and
# Flyway's repeatable migrations through the same round trip.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use File::Path qw(make_path);
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('roundtrip');
$node->init;
$node->start;

# the same three migrations for every tool: up and down SQL
my @ups = (
	"-- the table and a function with a semicolon in its body\r\n"
	  . "CREATE TABLE item (id bigint PRIMARY KEY, title text NOT NULL);\r\n"
	  . "CREATE FUNCTION item_title(i item) RETURNS text LANGUAGE sql AS \$f\$ SELECT upper(i.title); \$f\$;\r\n",
	"ALTER TABLE item ADD COLUMN price numeric(10,2) NOT NULL DEFAULT 0;\n",
	"CREATE INDEX CONCURRENTLY item_title_idx ON item (title);\n");
my @downs = (
	"DROP FUNCTION item_title(item);\nDROP TABLE item;\n",
	"ALTER TABLE item DROP COLUMN price;\n",
	"DROP INDEX item_title_idx;\n");

sub put
{
	my ($path, $text) = @_;
	my ($dir) = $path =~ m{^(.*)/[^/]+$};
	make_path($dir);
	open my $fh, '>', $path or die "$path: $!";
	print $fh $text;
	close $fh;
	return;
}

my %writers = (
	'golang-migrate' => sub {
		my ($d) = @_;
		for my $i (0 .. 2)
		{
			my $v = $i + 1;
			put("$d/${v}_m$v.up.sql", ($i == 2 ? "-- pg_migrate:no-transaction\n" : '') . $ups[$i]);
			put("$d/${v}_m$v.down.sql", $downs[$i]);
		}
	},
	sqlx => sub {
		my ($d) = @_;
		for my $i (0 .. 2)
		{
			my $v = 20240101000001 + $i;
			put("$d/${v}_m$i.up.sql", ($i == 2 ? "-- no-transaction\n" : '') . $ups[$i]);
			put("$d/${v}_m$i.down.sql", $downs[$i]);
		}
	},
	dbmate => sub {
		my ($d) = @_;
		for my $i (0 .. 2)
		{
			my $v = 20240101000001 + $i;
			put("$d/${v}_m$i.sql",
				"-- a comment before the marker\n-- migrate:up"
				  . ($i == 2 ? ' transaction:false' : '') . "\n"
				  . $ups[$i] . "\n-- migrate:down\n" . $downs[$i]);
		}
	},
	goose => sub {
		my ($d) = @_;
		for my $i (0 .. 2)
		{
			my $v = sprintf('%05d', $i + 1);
			put("$d/${v}_m$i.sql",
				# NO TRANSACTION would hold for the down part too, which
				# migrate_down runs in its transaction: the index statement
				# is found by itself
				"-- a comment\n-- +goose Up\n-- +goose StatementBegin\n" . $ups[$i]
				  . "-- +goose StatementEnd\n\n-- +goose Down\n" . $downs[$i]);
		}
	},
	diesel => sub {
		my ($d) = @_;
		for my $i (0 .. 2)
		{
			my $v = sprintf('2024-01-01-00000%d_m%d', $i + 1, $i);
			put("$d/$v/up.sql", $ups[$i]);
			put("$d/$v/down.sql", $downs[$i]);
			# (run_in_transaction = false would hold for down.sql too)
		}
	},
	flyway => sub {
		my ($d) = @_;
		for my $i (0 .. 2)
		{
			my $v = $i + 1;
			put("$d/V${v}__M$i.sql", $ups[$i]);
			put("$d/U${v}__M$i.sql", $downs[$i]);
		}
	},
);

my %tool_rows = (
	# one row: the highest version applied, clean
	'golang-migrate' => 'SELECT coalesce(max(version) FILTER (WHERE NOT dirty), 0) FROM schema_migrations',
	sqlx => 'SELECT count(*) FROM _sqlx_migrations',
	dbmate => 'SELECT count(*) FROM schema_migrations',
	goose => 'SELECT count(*) FROM goose_db_version WHERE version_id > 0',
	diesel => 'SELECT count(*) FROM __diesel_schema_migrations',
	flyway => "SELECT count(*) FROM (SELECT DISTINCT ON (version) type FROM flyway_schema_history ORDER BY version, installed_rank DESC) s WHERE type = 'SQL'",
);

# the user objects of schema public, tools' tables left out
my $fingerprint = q{
SELECT md5(coalesce(string_agg(x, E'\n' ORDER BY x), '')) FROM (
  SELECT format('%s.%s %s %s %s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                a.attnotnull, pg_get_expr(d.adbin, d.adrelid)) AS x
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
  WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
    AND c.relname NOT IN ('schema_migrations', '_sqlx_migrations', 'goose_db_version',
                          'flyway_schema_history', '__diesel_schema_migrations')
  UNION ALL
  SELECT pg_get_indexdef(i.indexrelid) || ' ' || i.indisvalid FROM pg_index i
  JOIN pg_class c ON c.oid = i.indrelid
  WHERE c.relnamespace = 'public'::regnamespace
    AND c.relname NOT IN ('schema_migrations', '_sqlx_migrations', 'goose_db_version',
                          'flyway_schema_history', '__diesel_schema_migrations')
  UNION ALL
  SELECT pg_get_functiondef(p.oid) FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
    AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass
                    AND e.objid = p.oid AND e.deptype = 'e')
) s};

# the reference: the same up SQL through psql, one file at a time
$node->safe_psql('postgres', 'CREATE DATABASE reference');
$node->safe_psql('reference', $_) for @ups;
my $applied = $node->safe_psql('reference', $fingerprint);
$node->safe_psql('postgres', 'CREATE DATABASE empty');
my $empty = $node->safe_psql('empty', $fingerprint);

my $n = 0;
for my $format (sort keys %writers)
{
	my $dir = new_folder() . '/migrations';
	make_path($dir);
	$writers{$format}->($dir);
	my $db = 'rt' . $n++;
	fresh_db($node, $db);
	my $empty_here = $node->safe_psql($db, $fingerprint);
	is($empty_here, $empty, "$format: an empty database to start with");

	$node->safe_psql($db, "CALL migrate_run('$dir', format => '$format')");
	is($node->safe_psql($db, $fingerprint), $applied, "$format: applied, the objects psql makes from the same SQL");
	is($node->safe_psql($db, $tool_rows{$format}), '3', "$format: the tool's table says 3 applied");

	is($node->safe_psql($db, "SELECT count(*) FROM migrate_down('$dir', NULL, '$format')"), '3',
		"$format: migrate_down(dir, NULL) reverts all three");
	is($node->safe_psql($db, $fingerprint), $empty, "$format: back to an empty schema");
	is($node->safe_psql($db, $tool_rows{$format}), '0', "$format: the tool's table says none is applied");
	is($node->safe_psql($db, "SELECT string_agg(state, ',') FROM migrate_status('$dir', '$format')"),
		'pending,pending,pending', "$format: all pending again");

	$node->safe_psql($db, "CALL migrate_run('$dir', format => '$format')");
	is($node->safe_psql($db, $fingerprint), $applied, "$format: applied again, the same objects");
	is($node->safe_psql($db, $tool_rows{$format}), '3', "$format: the tool's table says 3 applied again");
}

# Flyway with a repeatable migration: it runs after the versioned ones; a
# reset (migrate_down(dir, NULL)) makes it pending again, so applying again
# gives the same objects; Flyway's table keeps each run.
{
	my $dir = new_folder() . '/migrations';
	my $repeatable = "CREATE OR REPLACE FUNCTION item_count() RETURNS bigint LANGUAGE sql AS \$\$ SELECT count(*) FROM item \$\$;\n";
	make_path($dir);
	$writers{flyway}->($dir);
	put("$dir/U1__M0.sql", "DROP FUNCTION IF EXISTS item_count();\n" . $downs[0]);
	put("$dir/R__Item_count.sql", $repeatable);
	$node->safe_psql('postgres', 'CREATE DATABASE reference_r');
	$node->safe_psql('reference_r', $_) for (@ups, $repeatable);
	my $applied_r = $node->safe_psql('reference_r', $fingerprint);
	my $runs = "SELECT count(*) FROM flyway_schema_history WHERE version IS NULL AND description = 'Item count' AND success";
	fresh_db($node, 'rt_repeatable');

	$node->safe_psql('rt_repeatable', "CALL migrate_run('$dir')");
	is($node->safe_psql('rt_repeatable', $fingerprint), $applied_r, 'flyway, repeatable: applied, the objects psql makes');
	is($node->safe_psql('rt_repeatable', $runs), '1', "flyway, repeatable: Flyway's table has its run");
	is($node->safe_psql('rt_repeatable', "SELECT count(*) FROM migrate_down('$dir', NULL)"), '3',
		'flyway, repeatable: migrate_down(dir, NULL) reverts the three versioned migrations');
	is($node->safe_psql('rt_repeatable', $fingerprint), $empty, 'flyway, repeatable: back to an empty schema');
	is($node->safe_psql('rt_repeatable', "SELECT string_agg(coalesce(version::text, name) || ' ' || state, ',') FROM migrate_status('$dir')"),
		'1 pending,2 pending,3 pending,Item_count pending', 'flyway, repeatable: the reset makes it pending too');
	$node->safe_psql('rt_repeatable', "CALL migrate_run('$dir')");
	is($node->safe_psql('rt_repeatable', $fingerprint), $applied_r, 'flyway, repeatable: applied again, the same objects');
	is($node->safe_psql('rt_repeatable', $runs), '2', "flyway, repeatable: Flyway's table has both runs");

	# a partial revert leaves it alone, as Flyway's undo does
	is($node->safe_psql('rt_repeatable', "SELECT count(*) FROM migrate_down('$dir', 1)"), '1', 'flyway, repeatable: one step down');
	is($node->safe_psql('rt_repeatable', "SELECT state FROM migrate_status('$dir') WHERE version IS NULL"),
		'applied', 'flyway, repeatable: still applied after a partial revert');
}

$node->stop;
done_testing();
