# Helpers shared by pg_migrate's TAP tests: migration folders on disk and
# clusters with pg_migrate preloaded.
package PgmTest;

use strict;
use warnings;

use Exporter 'import';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;

our @EXPORT = qw(write_migration new_folder preloaded_node log_count fresh_db);

# A fresh, empty migration folder.
sub new_folder
{
	return PostgreSQL::Test::Utils::tempdir;
}

# Writes (or replaces, atomically) one migration file.
sub write_migration
{
	my ($dir, $name, $sql) = @_;
	my $tmp = "$dir/.$name.tmp";
	open my $fh, '>', $tmp or die "could not write $tmp: $!";
	print $fh $sql;
	close $fh;
	rename $tmp, "$dir/$name" or die "could not rename $tmp: $!";
	return;
}

# A started cluster with pg_migrate preloaded and the given settings.
sub preloaded_node
{
	my ($name, %settings) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(%{ delete $settings{init} || {} });
	my $conf = "shared_preload_libraries = 'pg_migrate'\n";
	$conf .= "$_ = '$settings{$_}'\n" for sort keys %settings;
	$node->append_conf('postgresql.conf', $conf);
	$node->start;
	return $node;
}

# A new database on the node with pg_migrate installed.
sub fresh_db
{
	my ($node, $db) = @_;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE EXTENSION pg_migrate');
	return;
}

# How many times a pattern appears in the node's log.
sub log_count
{
	my ($node, $pattern) = @_;
	my $log = PostgreSQL::Test::Utils::slurp_file($node->logfile);
	my @hits = $log =~ /$pattern/g;
	return scalar @hits;
}

1;
