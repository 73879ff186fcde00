using PgBackup.Errors;
using PgBackup.Formats.ServerArchives;
using PgBackup.Policies;
using PgBackup.Restore;
using PgBackup.Tests.Unit.Repository;
using PgBackup.Tests.Unit.Repository.Catalog;

namespace PgBackup.Tests.Unit.Restore;

/// <summary>Patroni's create_replica_methods contract as `pgbackup create-replica` meets it.</summary>
public sealed class PatroniReplicaFacts : IDisposable
{
    private readonly TempDirectory _dataDir = new();

    public void Dispose() => _dataDir.Dispose();

    private static Policy MainPolicy => PolicyLoader.Parse("main.yaml", Policies.PolicyLoaderFacts.Minimal);

    private void KeepSomething()
    {
        Directory.CreateDirectory(Path.Combine(_dataDir.Path, "base", "1"));
        File.WriteAllText(Path.Combine(_dataDir.Path, "base", "1", "1259"), "old");
        File.WriteAllText(Path.Combine(_dataDir.Path, "PG_VERSION"), "15\n");
    }

    [Fact]
    public void Kept_data_is_reused_where_the_format_restores_delta()
    {
        KeepSomething();
        Assert.True(PatroniReplica.ReuseKeptData(_dataDir.Path, ManifestSamples.ClientCompressed));
        Assert.Equal("old", File.ReadAllText(Path.Combine(_dataDir.Path, "base", "1", "1259")));
    }

    [Fact]
    public void Kept_data_is_removed_where_the_format_cannot_restore_delta_and_a_symlinked_wal_directory_keeps_its_target()
    {
        KeepSomething();
        using var walElsewhere = new TempDirectory();
        File.WriteAllText(Path.Combine(walElsewhere.Path, "000000010000000000000003"), "wal");
        Directory.CreateSymbolicLink(Path.Combine(_dataDir.Path, "pg_wal"), walElsewhere.Path);
        var serverCompressed = ManifestSamples.ClientCompressed with { Format = ServerArchivesFormat.FormatName };

        Assert.False(PatroniReplica.ReuseKeptData(_dataDir.Path, serverCompressed));

        Assert.Empty(Directory.EnumerateFileSystemEntries(_dataDir.Path));
        Assert.True(File.Exists(Path.Combine(walElsewhere.Path, "000000010000000000000003")));
    }

    [Fact]
    public void An_empty_or_absent_directory_is_restored_afresh()
    {
        Assert.False(PatroniReplica.ReuseKeptData(_dataDir.Path, ManifestSamples.ClientCompressed));
        Assert.False(PatroniReplica.ReuseKeptData(Path.Combine(_dataDir.Path, "absent"), ManifestSamples.ClientCompressed));
    }

    [Theory]
    [InlineData("other", "replica", "--scope=other is not the cluster of")]
    [InlineData("main", "primary", "--role=primary: create-replica only builds replicas")]
    public void A_call_for_another_cluster_or_role_is_refused(string scope, string role, string message)
    {
        var e = Assert.Throws<UsageException>(() => PatroniReplica.CheckCall(MainPolicy, scope, role));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Patronis_own_call_for_this_cluster_passes()
    {
        PatroniReplica.CheckCall(MainPolicy, "main", "replica");
        PatroniReplica.CheckCall(MainPolicy, null, null);
    }
}
