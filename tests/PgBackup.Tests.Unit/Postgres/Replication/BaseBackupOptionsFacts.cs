using PgBackup.Postgres.Replication;

namespace PgBackup.Tests.Unit.Postgres.Replication;

/// <summary>The BASE_BACKUP command text: PostgreSQL 15's parenthesized syntax, which 15, 17 and 18 accept.</summary>
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
}
