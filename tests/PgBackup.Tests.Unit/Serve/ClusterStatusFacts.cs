using PgBackup.Cli.Serve.Archiver;
using PgBackup.Cli.Serve.Metrics;
using PgBackup.Cli.Serve.Status;
using PgBackup.Repository.Catalog;
using PgBackup.Postgres;

namespace PgBackup.Tests.Unit.Serve;

public sealed class ClusterStatusFacts
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private static BackupEntry Complete(string id, DateTimeOffset start, TimeSpan duration) => new(id, BackupStatus.Complete, new BackupManifest
    {
        Id = id, Cluster = "main", SystemIdentifier = "1", ServerVersionNum = 150018, ToolVersion = "0.1.0",
        Source = new BackupSource("m1", "10.0.0.1", 5432), StartTime = start, EndTime = start + duration,
        StartLsn = Lsn.Parse("0/1000028"), EndLsn = Lsn.Parse("0/1000100"), Timeline = 1, WalSegmentSize = 16 << 20, Compression = "zstd", CompressionLevel = 3, ChunkSize = 4 << 20,
        DatabaseSize = 1000, StoredSize = 300, Tablespaces = [], Files = [], Packs = [], Wal = [],
        PostgresManifest = new EncodedObject("backup_manifest.zst", 10, "00"),
    }, 300, start + duration);

    [Fact]
    public void Without_an_archiver_the_window_runs_from_the_oldest_backup_end_to_the_newest_backup_end()
    {
        var status = ClusterStatus.From("main", [
            Complete("a", Now.AddDays(-2), TimeSpan.FromMinutes(10)),
            Complete("b", Now.AddHours(-3), TimeSpan.FromMinutes(20)),
            new BackupEntry("c", BackupStatus.Running, null, 5, Now),
        ], null, Now);

        Assert.Equal(2, status.CompleteBackups);
        Assert.True(status.BackupRunning);
        Assert.Equal("b", status.LastBackup!.Id);
        Assert.Equal(Now.AddDays(-2).AddMinutes(10), status.WindowStart);
        Assert.Equal(Now.AddHours(-3).AddMinutes(20), status.WindowEnd);
        Assert.Equal(TimeSpan.FromMinutes(160).TotalSeconds, status.LastBackupAgeSeconds);
    }

    [Fact]
    public void The_archiver_extends_the_window_to_the_newest_archived_wal()
    {
        var archiver = new ArchiverStatus("streaming", "m2", 128, 0.5, "000000010000000000000003", Now.AddSeconds(-1), null, Now);
        var status = ClusterStatus.From("main", [Complete("a", Now.AddHours(-1), TimeSpan.FromMinutes(1))], archiver, Now);
        Assert.Equal(Now.AddSeconds(-1), status.WindowEnd);
    }

    [Fact]
    public void Metrics_carry_conventional_names_with_the_cluster_label()
    {
        var archiver = new ArchiverStatus("streaming", "m2", 128, 0.5, null, null, null, Now);
        var status = ClusterStatus.From("main", [Complete("a", Now.AddHours(-1), TimeSpan.FromMinutes(1))], archiver, Now);
        var text = MetricsEndpoint.Render([status], 1, [("main", "backup", 2)], Now);

        Assert.Contains("pgbackup_last_backup_age_seconds{cluster=\"main\"} 3540\n", text);
        Assert.Contains("pgbackup_last_backup_success_timestamp_seconds{cluster=\"main\"} " + Now.AddMinutes(-59).ToUnixTimeSeconds() + "\n", text);
        Assert.Contains("pgbackup_backup_duration_seconds{cluster=\"main\"} 60\n", text);
        Assert.Contains("pgbackup_backup_size_bytes{cluster=\"main\",kind=\"stored\"} 300\n", text);
        Assert.Contains("pgbackup_archiver_lag_bytes{cluster=\"main\"} 128\n", text);
        Assert.Contains("pgbackup_archiver_source_info{cluster=\"main\",member=\"m2\"} 1\n", text);
        Assert.Contains("pgbackup_job_failures_total{cluster=\"main\",job=\"backup\"} 2\n", text);
        Assert.Contains("# TYPE pgbackup_job_failures_total counter\n", text);
        Assert.Contains("pgbackup_policy_errors 1\n", text);
    }
}
