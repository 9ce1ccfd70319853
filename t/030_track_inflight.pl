# golang-migrate's table on the worker path (jobs): it exists, with
# golang-migrate's in-flight row (version, dirty = true), before each
# migration runs, so migrations that alter it work; a run that stops
# part-way through a no-transaction migration (which commits statement by
# statement) leaves the table saying so, and the next run knows the mark
# is its own (pgmigrate.progress has the migration's row) and resumes it,
# while a dirty row golang-migrate left is still refused.  The setting
# pg_migrate.version_table reaches the worker per database.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('track_inflight');
$node->init;
$node->append_conf('postgresql.conf', "restart_after_crash = on\n");
$node->start;

sub run_job
{
	my ($db, $dir) = @_;
	my $job = $node->safe_psql($db, "SELECT migrate_apply_async('$dir')");

	# polled from separate statements: migrate_wait refuses to hold a
	# snapshot that CREATE INDEX CONCURRENTLY in the job would wait for
	$node->poll_query_until($db,
		"SELECT state NOT IN ('queued', 'running') FROM migrate_jobs WHERE job_id = $job")
	  or die "job $job did not finish";
	return $node->safe_psql($db, "SELECT state FROM migrate_jobs WHERE job_id = $job");
}

sub sm
{
	my ($db, $cols) = @_;
	$cols //= "version || ',' || dirty";
	return $node->safe_psql($db, "SELECT string_agg($cols, ';') FROM public.schema_migrations");
}

# --- a real folder that alters golang-migrate's table, transactional and
# no-transaction migrations mixed
fresh_db($node, 'alter');
my $dir = new_folder();
write_migration($dir, '1_first.up.sql',
	"CREATE TABLE seen_1 AS SELECT version, dirty FROM schema_migrations;\n");
write_migration($dir, '2_column.up.sql',
	"ALTER TABLE schema_migrations ADD COLUMN applied_at timestamptz DEFAULT now();\n");
write_migration($dir, '3_notx.up.sql',
	"-- pg_migrate:no-transaction\n"
	  . "CREATE TABLE seen_3 AS SELECT version, dirty FROM schema_migrations;\n"
	  . "ALTER TABLE schema_migrations ADD COLUMN tenant text NOT NULL DEFAULT 'main';\n"
	  . "CREATE INDEX CONCURRENTLY seen_3_idx ON seen_3 (version);\n");
write_migration($dir, '4_drop.up.sql', "ALTER TABLE schema_migrations DROP COLUMN applied_at;\n");
is($node->safe_psql('alter', "SELECT to_regclass('public.schema_migrations') IS NULL"), 't',
	'no table before the first run');
is(run_job('alter', $dir), 'succeeded', 'the folder applies through a job');
is($node->safe_psql('alter', 'SELECT version, dirty FROM seen_1'), '1|t',
	'migration 1 found the table, saying 1 in flight');
is($node->safe_psql('alter', 'SELECT version, dirty FROM seen_3'), '3|t',
	'the no-transaction migration 3 found it saying 3 in flight');
is(sm('alter', "version || ',' || dirty || ',' || tenant"), '4,false,main',
	'the table ends clean at 4, with the columns the migrations left');
is($node->safe_psql('alter', "SELECT string_agg(state, ',' ORDER BY id) FROM pgmigrate.history"),
	'applied,applied,applied,applied', 'each migration recorded once');
is($node->safe_psql('alter', 'SELECT count(*) FROM pgmigrate.progress'), '0', 'no progress left');

# --- a crash in the middle of a no-transaction migration
fresh_db($node, 'crash');
$node->safe_psql('crash', 'CREATE TABLE blocker (id int)');
my $cdir = new_folder();
write_migration($cdir, '1_a.up.sql', "CREATE TABLE a (id int);\n");
write_migration($cdir, '2_notx.up.sql',
	"-- pg_migrate:no-transaction\nCREATE TABLE n1 (id int);\n"
	  . "INSERT INTO blocker VALUES (2);\nCREATE TABLE n3 (id int);\n");

sub block_and_kill
{
	my ($db, $dir, $what) = @_;
	my $holder = $node->background_psql($db);
	$holder->query_safe('BEGIN; LOCK TABLE blocker IN ACCESS EXCLUSIVE MODE');
	my $job = $node->safe_psql($db, "SELECT migrate_apply_async('$dir')");
	ok($node->poll_query_until($db,
			"SELECT count(*) = 1 FROM pg_stat_activity "
			  . "WHERE backend_type = 'pg_migrate job' AND wait_event_type = 'Lock'"),
		"$what: the job waits inside the no-transaction migration");
	my %seen = (
		table => sm($db),
		progress => $node->safe_psql($db,
			"SELECT string_agg(version || ':' || statements_done, ',') FROM pgmigrate.progress"),
		status => $node->safe_psql($db,
			"SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM migrate_status('$dir')"));
	my $pid = $node->safe_psql($db, "SELECT pid FROM migrate_jobs WHERE job_id = $job");
	kill 'KILL', $pid;
	eval { $holder->quit; };
	$node->poll_query_until($db, 'SELECT true') or die 'the server did not come back';
	return \%seen;
}

my $seen = block_and_kill('crash', $cdir, 'after statement 1');
is($seen->{table}, '2,true', 'while 2 runs, the table says 2 in flight, as golang-migrate would');
is($seen->{progress}, '2:1', 'and pgmigrate.progress says one statement is done');
is($seen->{status}, '1:applied,2:pending', 'status shows 2 pending, not failed');
is(sm('crash'), '2,true', 'after the crash the table still says 2 in flight');
is($node->safe_psql('crash', "SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM migrate_status('$cdir')"),
	'1:applied,2:pending', 'the in-flight mark is not read back as a failure or as applied');
is($node->safe_psql('crash', "SELECT count(*) FROM pgmigrate.history WHERE version = 2"), '0',
	'nothing is recorded for 2, baselined or otherwise');
is(run_job('crash', $cdir), 'succeeded', 'the next run is not refused as dirty');
ok(log_count($node, qr/resuming migration 2 "notx" after statement 1 of 3/) == 1,
	'it resumed 2 after its completed statement');
is($node->safe_psql('crash', "SELECT to_regclass('n1') IS NOT NULL, to_regclass('n3') IS NOT NULL, count(*) FROM blocker"),
	't|t|1', 'every statement ran once');
is(sm('crash'), '2,false', 'the table is clean at 2');
is($node->safe_psql('crash', "SELECT string_agg(state, ',' ORDER BY id) FROM pgmigrate.history WHERE version = 2"),
	'applied', '2 is recorded applied once');
is($node->safe_psql('crash', 'SELECT count(*) FROM pgmigrate.progress'), '0', 'no progress left');

# the window before the first statement is done
write_migration($cdir, '3_first.up.sql',
	"-- pg_migrate:no-transaction\nINSERT INTO blocker VALUES (3);\nCREATE TABLE m2 (id int);\n");
$seen = block_and_kill('crash', $cdir, 'in statement 1');
is($seen->{table}, '3,true', 'while 3 runs its first statement, the table says 3 in flight');
is($seen->{progress}, '3:0', 'and pgmigrate.progress has its row, no statement done');
is($seen->{status}, '1:applied,2:applied,3:pending', 'status shows 3 pending');
is(run_job('crash', $cdir), 'succeeded', 'the next run takes 3 up again');
is($node->safe_psql('crash', "SELECT to_regclass('m2') IS NOT NULL, count(*) FROM blocker WHERE id = 3"),
	't|1', 'its statements ran once');
is(sm('crash'), '3,false', 'the table is clean at 3');

# a canceled job leaves the same mark, and the next job resumes it
write_migration($cdir, '4_cancel.up.sql',
	"-- pg_migrate:no-transaction\nCREATE TABLE c1 (id int);\nINSERT INTO blocker VALUES (4);\n");
my $holder = $node->background_psql('crash');
$holder->query_safe('BEGIN; LOCK TABLE blocker IN ACCESS EXCLUSIVE MODE');
my $job = $node->safe_psql('crash', "SELECT migrate_apply_async('$cdir')");
ok($node->poll_query_until('crash',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_migrate job' AND wait_event_type = 'Lock'"),
	'the job waits in migration 4');
is($node->safe_psql('crash', "SELECT migrate_cancel($job)"), 't', 'migrate_cancel signals it');
is($node->safe_psql('crash', "SELECT migrate_wait($job, '60 s')"), 'canceled', 'the job is canceled');
$holder->quit;
is(sm('crash'), '4,true', 'the table says 4 in flight');
is(run_job('crash', $cdir), 'succeeded', 'the next job resumes 4');
is($node->safe_psql('crash', "SELECT count(*) FROM blocker WHERE id = 4"), '1', 'its statements ran once');
is(sm('crash'), '4,false', 'the table is clean at 4');

# golang-migrate's own dirty row (no progress of ours) is still refused
write_migration($cdir, '5_e.up.sql', "CREATE TABLE e (id int);\n");
$node->safe_psql('crash', 'UPDATE schema_migrations SET version = 5, dirty = true');
is(run_job('crash', $cdir), 'failed', 'a job on a table golang-migrate left dirty fails');
like($node->safe_psql('crash', 'SELECT error FROM migrate_jobs ORDER BY job_id DESC LIMIT 1'),
	qr/^55000: database is dirty at migration version 5/, 'refused as dirty');
is($node->safe_psql('crash', "SELECT to_regclass('e') IS NULL"), 't', 'nothing ran');

# --- the setting, per database, reaches the worker; another tool's table
# in public is left alone
fresh_db($node, 'elsewhere');
$node->safe_psql('elsewhere',
	"CREATE SCHEMA gm; CREATE TABLE public.schema_migrations (version bigint PRIMARY KEY, inserted_at timestamp(0));"
	  . "INSERT INTO public.schema_migrations VALUES (20240101000000, now());");
my $edir = new_folder();
write_migration($edir, '1_a.up.sql', "CREATE TABLE a (id int);\n");
write_migration($edir, '2_b.up.sql', "ALTER TABLE gm.versions ADD COLUMN note text DEFAULT 'x';\n");
is(run_job('elsewhere', $edir), 'failed', "a job on a database with Ecto's table fails");
like($node->safe_psql('elsewhere', 'SELECT error FROM migrate_jobs ORDER BY job_id DESC LIMIT 1'),
	qr/^55000: table "public.schema_migrations" is not golang-migrate's version table/,
	"and names the other tool's table");
is($node->safe_psql('elsewhere', "SELECT to_regclass('a') IS NULL"), 't', 'nothing ran');
$node->safe_psql('elsewhere', "ALTER DATABASE elsewhere SET pg_migrate.version_table = 'gm.versions'");
is(run_job('elsewhere', $edir), 'succeeded', 'with pg_migrate.version_table set for the database, it applies');
is($node->safe_psql('elsewhere', "SELECT version || ',' || dirty || ',' || note FROM gm.versions"), '2,false,x',
	'the table named by the setting is kept');
is($node->safe_psql('elsewhere', 'SELECT count(*) FROM public.schema_migrations'), '1',
	"Ecto's table is untouched");

$node->stop;
done_testing();
