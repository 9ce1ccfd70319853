# CALL migrate_run(dir): the worker path in the caller's session, as a deploy
# script runs it through psql: NOTICE lines, exit status and SQLSTATE on
# failure, what committed before a failure stays, a retry after the fix,
# sessions racing, a job building an index concurrently meanwhile, cancel,
# transaction blocks refused, a folder that adds an enum value and uses it,
# 10,000 migrations at default lock settings; and CALL migrate_await, the
# wait that holds no snapshot.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use PgmTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('run');
$node->init;
$node->start;

# psql as a deploy script runs it: -v ON_ERROR_STOP=1 -c "CALL ..."
sub run_psql
{
	my ($db, @sql) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run(
		[ 'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-v', 'VERBOSITY=verbose',
		  '-d', $node->connstr($db), map { ('-c', $_) } @sql ],
		'>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

sub start_psql
{
	my ($db, $sql) = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[ 'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-v', 'VERBOSITY=verbose',
		  '-d', $node->connstr($db), '-c', $sql ],
		'>', \$out, '2>', \$err);
	return [ $h, \$out, \$err ];
}

sub finish_psql
{
	my ($p) = @_;
	$p->[0]->finish;
	return ($p->[0]->result(0), ${ $p->[1] }, ${ $p->[2] });
}

# ---- a real folder: table, 200,000 rows, a lone CREATE INDEX CONCURRENTLY
my $dir = new_folder();
write_migration($dir, '1_items.up.sql', "CREATE TABLE items (id bigint PRIMARY KEY, v int);\n");
write_migration($dir, '2_fill.up.sql',
	"INSERT INTO items SELECT g, g % 997 FROM generate_series(1, 200000) g;\n");
write_migration($dir, '3_index.up.sql', "CREATE INDEX CONCURRENTLY items_v ON items (v);\n");
write_migration($dir, '4_after.up.sql', "CREATE TABLE after_index (id int);\n");

fresh_db($node, 'deploy');
my ($rc, $out, $err) = run_psql('deploy', "CALL migrate_run('$dir')");
is($rc, 0, 'CALL migrate_run exits 0 through psql -v ON_ERROR_STOP=1');
like($err, qr/NOTICE:  00000: applied migration 1 "items" in [0-9.]+ ms/, 'a NOTICE for migration 1');
like($err, qr/applied migration 3 "index" in [0-9.]+ ms/, 'a NOTICE for the no-transaction migration');
like($err, qr/NOTICE:  00000: applied 4 migrations in [0-9.]+ ms/, 'and a last NOTICE with the total');
is($node->safe_psql('deploy',
	"SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_v'::regclass"), 't',
	'the index built concurrently is valid');
is($node->safe_psql('deploy', 'SELECT version, dirty FROM schema_migrations'), '4|f',
	'schema_migrations says 4, clean');
is($node->safe_psql('deploy',
	"SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM migrate_status('$dir')"),
	'1:applied,2:applied,3:applied,4:applied', 'migrate_status: all applied');
($rc, $out, $err) = run_psql('deploy', "CALL migrate_run('$dir')");
is($rc, 0, 'a second CALL exits 0');
like($err, qr/no migrations to apply in folder/, 'and says there was nothing to do');

# ---- a failing third file: non-zero exit, its SQLSTATE, the first two committed
my $bad = new_folder();
write_migration($bad, '1_a.up.sql', "CREATE TABLE a (id int);\n");
write_migration($bad, '2_b.up.sql', "INSERT INTO a VALUES (1), (2);\n");
write_migration($bad, '3_c.up.sql', "CREATE TABLE c (id int);\nINSERT INTO a VALUES ('x');\n");
fresh_db($node, 'failing');
($rc, $out, $err) = run_psql('failing', "CALL migrate_run('$bad')");
isnt($rc, 0, 'a failing migration makes psql exit non-zero');
like($err, qr/ERROR:  22P02: invalid input syntax for type integer: "x"/,
	"the migration's own error and SQLSTATE");
like($err, qr/CONTEXT:  migration file "3_c.up.sql", line 2/, 'with its file and line');
like($err, qr/HINT:  Fix the migration file and CALL migrate_run again/, 'and what to do');
is($node->safe_psql('failing', 'SELECT count(*) FROM a'), '2', 'migrations 1 and 2 stay committed');
is($node->safe_psql('failing', "SELECT to_regclass('c') IS NULL"), 't', 'migration 3 rolled back');
is($node->safe_psql('failing',
	"SELECT state FROM migrate_status('$bad') WHERE version = 3"), 'failed', 'and is recorded failed');
is($node->safe_psql('failing', 'SELECT version, dirty FROM schema_migrations'), '3|t',
	'schema_migrations is dirty at 3, as golang-migrate leaves it');
write_migration($bad, '3_c.up.sql', "CREATE TABLE c (id int);\nINSERT INTO a VALUES (3);\n");
($rc, $out, $err) = run_psql('failing', "CALL migrate_run('$bad')");
is($rc, 0, 'fixed, the next CALL exits 0');
like($err, qr/applied migration 3 "c"/, 'and applies migration 3');
is($node->safe_psql('failing', 'SELECT version, dirty FROM schema_migrations'), '3|f',
	'schema_migrations is clean at 3');

# ---- inside a transaction block, in a DO block: refused at once
($rc, $out, $err) = run_psql('failing', "BEGIN; CALL migrate_run('$bad'); COMMIT;");
like($err, qr/ERROR:  25001: migrate_run cannot run inside a transaction block/,
	'in a multi-statement query (an implicit transaction block): 25001');
($rc, $out, $err) = run_psql('failing', 'BEGIN', "CALL migrate_run('$bad')");
like($err, qr/ERROR:  25001: migrate_run cannot run inside a transaction block/,
	'inside BEGIN: 25001');
like($err, qr/HINT:  .*migrate_apply\(\)/, 'with a hint naming migrate_apply');
($rc, $out, $err) = run_psql('failing', "DO \$\$BEGIN CALL migrate_run('$bad'); END\$\$");
like($err, qr/ERROR:  25001: migrate_run cannot be called from a procedure or DO block/,
	'from a DO block: 25001');

# ---- four sessions racing on one folder: each migration exactly once
my $race = new_folder();
for my $v (1 .. 30)
{
	my $sql = $v == 1
	  ? "CREATE TABLE ran (version int, pid int);\n"
	  : "INSERT INTO ran VALUES ($v, pg_backend_pid());\nSELECT pg_sleep(0.01);\n";
	$sql = "CREATE INDEX CONCURRENTLY ran_v ON ran (version);\n" if $v == 15;
	write_migration($race, "${v}_m$v.up.sql", $sql);
}
fresh_db($node, 'race');
my @racers = map { start_psql('race', "CALL migrate_run('$race')") } 1 .. 4;
my $racers_ok = 0;
for my $r (@racers)
{
	my ($rrc, $rout, $rerr) = finish_psql($r);
	$racers_ok++ if $rrc == 0;
	unlike($rerr, qr/deadlock/, 'a racer saw no deadlock');
}
is($racers_ok, 4, 'all four racing CALLs exit 0');
is($node->safe_psql('race', 'SELECT count(*), count(DISTINCT version) FROM ran'), '28|28',
	'each migration ran exactly once');
is($node->safe_psql('race',
	"SELECT count(*) FROM pgmigrate.history WHERE state = 'applied'"), '30',
	'and is recorded applied once');

# ---- migrate_run while a job builds an index concurrently
my $cic = new_folder();
write_migration($cic, '1_big.up.sql',
	"CREATE TABLE big (id int);\nINSERT INTO big SELECT generate_series(1, 100000);\n");
write_migration($cic, '2_index.up.sql', "CREATE INDEX CONCURRENTLY big_id ON big (id);\n");
fresh_db($node, 'cic');
$node->safe_psql('cic', "SELECT * FROM migrate_apply('$cic', 1)");
# an old snapshot keeps the job's CREATE INDEX CONCURRENTLY waiting
my $holder = $node->background_psql('cic');
$holder->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM big;');
my $job = $node->safe_psql('cic', "SELECT migrate_apply_async('$cic')");
ok($node->poll_query_until('cic',
	"SELECT count(*) > 0 FROM pg_stat_activity WHERE wait_event = 'virtualxid'"),
	'the job waits inside CREATE INDEX CONCURRENTLY');
my $waiter = start_psql('cic', "CALL migrate_run('$cic')");
ok($node->poll_query_until('cic',
	"SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE 'CALL migrate_run%' AND wait_event = 'advisory'"),
	'migrate_run waits for the migration lock');
is($node->safe_psql('cic',
	"SELECT backend_xmin IS NULL FROM pg_stat_activity WHERE query LIKE 'CALL migrate_run%'"), 't',
	'holding no snapshot while it waits');
$holder->query_safe('COMMIT');
$holder->quit;
my ($wrc, $wout, $werr) = finish_psql($waiter);
is($wrc, 0, 'migrate_run exits 0 once the job is done');
like($werr, qr/no migrations to apply/, 'the job had applied everything');
is($node->safe_psql('cic', "SELECT state FROM migrate_jobs WHERE job_id = $job"), 'succeeded',
	'and the job succeeded');

# ---- waiting for a job building an index concurrently, the documented way
write_migration($cic, '3_index2.up.sql', "CREATE INDEX CONCURRENTLY big_id2 ON big (id);\n");
($rc, $out, $err) = run_psql('cic', "CALL migrate_await(migrate_apply_async('$cic'))");
is($rc, 0, 'CALL migrate_await(migrate_apply_async(dir)) exits 0');
like($out, qr/succeeded/, 'and returns the final state');
is($node->safe_psql('cic',
	"SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_id2'::regclass"), 't',
	'the index is built');
($rc, $out, $err) = run_psql('cic', "BEGIN; CALL migrate_await(1); COMMIT;");
like($err, qr/ERROR:  25001: migrate_await cannot run inside a transaction block/,
	'migrate_await inside BEGIN: 25001');

# ---- migrate_wait does not grow the backend while it waits
my $sleepy = new_folder();
write_migration($sleepy, '1_sleep.up.sql', "SELECT pg_sleep(9);\n");
fresh_db($node, 'waitmem');
$job = $node->safe_psql('waitmem', "SELECT migrate_apply_async('$sleepy')");
my $wait = start_psql('waitmem', "SELECT migrate_wait($job)");
my $wpid;
ok($node->poll_query_until('waitmem',
	"SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE 'SELECT migrate_wait%'"),
	'migrate_wait is waiting');
$wpid = $node->safe_psql('waitmem',
	"SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT migrate_wait%'");
# the bytes its memory contexts use, as pg_log_backend_memory_contexts logs them
sub contexts_used
{
	my $before = log_count($node, qr/\[$wpid\] \S* ?LOG:  Grand total: \d+ bytes/);
	$node->safe_psql('waitmem', "SELECT pg_log_backend_memory_contexts($wpid)");
	for (my $i = 0; $i < 300; $i++)
	{
		last if log_count($node, qr/\[$wpid\] \S* ?LOG:  Grand total: \d+ bytes/) > $before;
		select(undef, undef, undef, 0.1);
	}
	my $log = slurp_file($node->logfile);
	my @used = $log =~ /\[$wpid\] \S* ?LOG:  Grand total: \d+ bytes in \d+ blocks; \d+ free \(\d+ chunks\); (\d+) used/g;
	return $used[-1];
}
sleep 1;
my $used_before = contexts_used();
sleep 4;
my $used_after = contexts_used();
cmp_ok($used_after - $used_before, '<', 8192,
	"migrate_wait's memory stays flat over 40 looks at the job ($used_before bytes, then $used_after)");
my ($mrc, $mout) = finish_psql($wait);
like($mout, qr/succeeded/, 'and returns the final state');

# ---- cancel mid-migration: rolled back, recorded failed, earlier kept
my $slow = new_folder();
write_migration($slow, '1_a.up.sql', "CREATE TABLE s (id int);\n");
write_migration($slow, '2_b.up.sql', "INSERT INTO s VALUES (1);\nSELECT pg_sleep(60);\n");
fresh_db($node, 'cancel');
my $victim = start_psql('cancel', "CALL migrate_run('$slow')");
ok($node->poll_query_until('cancel',
	"SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE wait_event = 'PgSleep'"),
	'the migration in flight is canceled');
my ($crc, $cout, $cerr) = finish_psql($victim);
isnt($crc, 0, 'the CALL fails');
like($cerr, qr/ERROR:  57014: canceling statement due to user request/, 'with the cancel');
is($node->safe_psql('cancel', 'SELECT count(*) FROM s'), '0', 'the migration in flight rolled back');
is($node->safe_psql('cancel',
	"SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM migrate_status('$slow')"),
	'1:applied,2:failed', 'migration 1 stays applied, 2 is recorded failed');
($rc, $out, $err) = run_psql('cancel', "SET statement_timeout = '300ms'", "CALL migrate_run('$slow')");
like($err, qr/ERROR:  57014: canceling statement due to statement timeout/,
	'statement_timeout bounds the whole CALL');

# ---- an enum value added in 2 and used in 3: migrate_run commits between
my $enum = new_folder();
write_migration($enum, '1_type.up.sql', "CREATE TYPE mood AS ENUM ('sad');\n");
write_migration($enum, '2_value.up.sql', "ALTER TYPE mood ADD VALUE 'happy';\n");
write_migration($enum, '3_use.up.sql', "CREATE TABLE person (m mood DEFAULT 'happy');\n");
fresh_db($node, 'enum_apply');
($rc, $out, $err) = run_psql('enum_apply', "SELECT * FROM migrate_apply('$enum')");
like($err, qr/ERROR:  55P04: unsafe use of new value "happy"/, 'migrate_apply cannot use the new value');
fresh_db($node, 'enum_run');
($rc, $out, $err) = run_psql('enum_run', "CALL migrate_run('$enum')");
is($rc, 0, 'migrate_run applies the folder');
is($node->safe_psql('enum_run', "SELECT to_regclass('person') IS NOT NULL"), 't', 'person exists');

# ---- 10,000 tiny migrations at the default max_locks_per_transaction
my $many = new_folder();
for my $v (1 .. 10000)
{
	write_migration($many, "${v}_t$v.up.sql", "CREATE TABLE t$v (id int PRIMARY KEY);\n");
}
fresh_db($node, 'many');
is($node->safe_psql('many', 'SHOW max_locks_per_transaction'), '64', 'default lock settings');
($rc, $out, $err) = run_psql('many', "CALL migrate_run('$many')");
is($rc, 0, 'migrate_run applies 10,000 migrations');
is($node->safe_psql('many',
	"SELECT count(*) FROM pg_class WHERE relname ~ '^t[0-9]+\$' AND relkind = 'r'"), '10000',
	'10,000 tables');
is($node->safe_psql('many', 'SELECT version, dirty FROM schema_migrations'), '10000|f',
	'schema_migrations says 10000');

$node->stop;
done_testing();
