# Every fixture folder of another tool's format applied by the background
# worker, which runs no-transaction migrations (sqlx's "-- no-transaction",
# dbmate's transaction:false, goose's NO TRANSACTION, diesel's
# run_in_transaction = false) outside a transaction block: the whole
# folder applies, the concurrent index is valid, the down parts never ran,
# and a second run finds nothing to do.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use File::Basename qw(dirname);
my $fixtures = dirname($FindBin::RealBin) . "/test/fixtures";

my $node = PostgreSQL::Test::Cluster->new('formats');
$node->init;
$node->start;

# format => [versions, the concurrent index (or undef), a query that
# shows the up parts ran and the down parts did not]
my %cases = (
	sqlx => [
		'20240101000001,20240101000002,20240101000003', 'sqlx_accounts_balance',
		"SELECT count(*) = 2 AND bool_and(note IS NULL) FROM sqlx_accounts"
	],
	dbmate => [
		'20240101000001,20240101000002,20240101000003', 'dbmate_posts_slug',
		"SELECT slug = 'hello-world' FROM dbmate_posts"
	],
	goose => [
		'1,2,3', 'goose_orders_total',
		"SELECT count(*) = 2 AND min(total) = 10.01 FROM goose_orders"
	],
	diesel => [
		'0,20240101000001,20240101000002', 'diesel_books_title',
		"SELECT to_regprocedure('diesel_set_updated_at()') IS NOT NULL FROM diesel_books RIGHT JOIN (VALUES (1)) v ON true"
	],
	flyway => [
		'1,2,3', undef,
		"SELECT count(*) = 2 AND count(email) = 0 FROM flyway_customers"
	],
	prisma => [
		'20240101000001,20240101000002', undef,
		"SELECT to_regprocedure('prisma_display(\"PrismaUser\")') IS NOT NULL"
	],
	drizzle => [
		'1704067200000,1704153600000', undef,
		"SELECT count(*) = 1 FROM pg_constraint WHERE conname = 'drizzle_posts_author_id_fk'"
	],
);

for my $format (sort keys %cases)
{
	my ($versions, $index, $check) = @{ $cases{$format} };
	my $db = "f_$format";
	my $dir = "$fixtures/format_$format";

	fresh_db($node, $db);
	my $job = $node->safe_psql($db, "SELECT migrate_apply_async('$dir')");
	# followed through migrate_jobs: migrate_wait's snapshot would hold up
	# CREATE INDEX CONCURRENTLY
	ok($node->poll_query_until($db, "SELECT state FROM migrate_jobs WHERE job_id = $job", 'succeeded'),
		"$format: the job succeeds")
	  or diag($node->safe_psql($db, "SELECT state, error FROM migrate_jobs WHERE job_id = $job"));
	is( $node->safe_psql(
			$db,
			"SELECT string_agg(version::text, ',' ORDER BY version) FROM pgmigrate.history WHERE state = 'applied'"
		),
		$versions,
		"$format: every migration is recorded once");
	if (defined $index)
	{
		is( $node->safe_psql(
				$db,
				"SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('$index')"),
			't',
			"$format: the index built outside a transaction is valid");
	}
	is($node->safe_psql($db, $check), 't', "$format: the up parts ran, the down parts did not");

	$job = $node->safe_psql($db, "SELECT migrate_apply_async('$dir')");
	ok($node->poll_query_until($db, "SELECT state FROM migrate_jobs WHERE job_id = $job", 'succeeded'),
		"$format: a second run succeeds");
	is($node->safe_psql($db, "SELECT count(*) FROM pgmigrate.history"),
		scalar(split /,/, $versions), "$format: and applies nothing");
}

$node->stop;
done_testing();
