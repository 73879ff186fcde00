using PgBackup.Postgres.Replication;

namespace PgBackup.Tests.Unit.Postgres.Replication;

/// <summary>The BASE_BACKUP command text: the parenthesized syntax from PostgreSQL 15, bare keywords (repl_gram.y of 13 and 14) before.</summary>
public sealed class BaseBackupOptionsFacts
{
    [Fact]
    public void A_server_compressed_backup_asks_for_zstd_with_its_detail()
    {
        var command = new BaseBackupOptions { Label = "pgbackup 20261202T180217Z", ManifestChecksums = "CRC32C", Compression = "zstd", CompressionDetail = "level=3,workers=2" }.ToCommand();
        Assert.Equal("BASE_BACKUP (LABEL 'pgbackup 20261202T180217Z', CHECKPOINT 'fast', WAIT false, MANIFEST 'yes', PROGRESS, MANIFEST_CHECKSUMS 'CRC32C', COMPRESSION 'zstd', COMPRESSION_DETAIL 'level=3,workers=2', TABLESPACE_MAP)", command);
    }

    [Fact]
    public void A_client_compressed_backup_asks_for_a_plain_tar()
    {
        var command = new BaseBackupOptions().ToCommand();
        Assert.DoesNotContain("COMPRESSION", command);
        Assert.StartsWith("BASE_BACKUP (LABEL 'pgbackup', ", command);
    }

    [Fact]
    public void A_quote_in_the_label_cannot_end_the_literal() =>
        Assert.Contains("LABEL 'it''s', ", new BaseBackupOptions { Label = "it's" }.ToCommand());

    [Fact]
    public void A_native_incremental_asks_for_INCREMENTAL_after_the_other_options()
    {
        var command = new BaseBackupOptions { Label = "pgbackup x", ManifestChecksums = "CRC32C", Incremental = true }.ToCommand();
        Assert.Equal("BASE_BACKUP (LABEL 'pgbackup x', CHECKPOINT 'fast', WAIT false, MANIFEST 'yes', PROGRESS, MANIFEST_CHECKSUMS 'CRC32C', TABLESPACE_MAP, INCREMENTAL)", command);
    }

    [Fact]
    public void Only_a_native_incremental_asks_for_INCREMENTAL() =>
        Assert.DoesNotContain("INCREMENTAL", new BaseBackupOptions().ToCommand());

    [Fact]
    public void Before_15_the_same_backup_is_asked_for_in_bare_keywords()
    {
        var command = new BaseBackupOptions { Label = "pgbackup 20261202T180217Z", ManifestChecksums = "CRC32C" }.ToCommand(140023);
        Assert.Equal("BASE_BACKUP LABEL 'pgbackup 20261202T180217Z' PROGRESS FAST NOWAIT TABLESPACE_MAP MANIFEST 'yes' MANIFEST_CHECKSUMS 'CRC32C'", command);
    }

    [Fact]
    public void Before_15_a_spread_checkpoint_waiting_for_the_archive_and_no_manifest_are_the_defaults_left_unsaid()
    {
        var command = new BaseBackupOptions { FastCheckpoint = false, WaitForWalArchive = true, Manifest = false, Progress = false, TablespaceMap = false, MaxRateKiBPerSecond = 1024 }.ToCommand(130023);
        Assert.Equal("BASE_BACKUP LABEL 'pgbackup' MAX_RATE 1024", command);
    }

    [Fact]
    public void Before_15_a_quote_in_the_label_cannot_end_the_literal_either() =>
        Assert.StartsWith("BASE_BACKUP LABEL 'it''s' ", new BaseBackupOptions { Label = "it's" }.ToCommand(140000));

    [Fact]
    public void From_15_the_parenthesized_syntax_is_used() =>
        Assert.StartsWith("BASE_BACKUP (LABEL ", new BaseBackupOptions().ToCommand(150000));

    [Theory]
    [InlineData("zstd", false)]
    [InlineData(null, true)]
    public void Before_15_compression_or_an_incremental_is_refused_rather_than_sent(string? compression, bool incremental) =>
        Assert.Throws<InvalidOperationException>(() => new BaseBackupOptions { Compression = compression, Incremental = incremental }.ToCommand(149999));
}
