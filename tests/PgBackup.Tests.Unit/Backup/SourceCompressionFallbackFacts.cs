using PgBackup.Backup;
using PgBackup.Postgres.Replication;

namespace PgBackup.Tests.Unit.Backup;

/// <summary>When a source asked to compress cannot, the backup compresses on our side and says why.</summary>
public sealed class SourceCompressionFallbackFacts
{
    [Theory]
    [InlineData(130016)]
    [InlineData(140013)]
    public void Before_15_the_source_cannot_compress_and_the_reason_names_its_major(int versionNum)
    {
        var why = SourceCompressionFallback.VersionCannotCompress(versionNum);
        Assert.Equal($"it runs PostgreSQL {versionNum / 10000}, whose BASE_BACKUP cannot compress (15 and later can)", why);
    }

    [Theory]
    [InlineData(150018)]
    [InlineData(170012)]
    [InlineData(180001)]
    public void From_15_on_the_version_allows_server_compression(int versionNum) =>
        Assert.Null(SourceCompressionFallback.VersionCannotCompress(versionNum));

    // The two refusals of a build without zstd, as PostgreSQL's basebackup.c and basebackup_zstd.c word them.
    [Theory]
    [InlineData("42601", "invalid compression specification: this build does not support compression with ZSTD")]
    [InlineData("0A000", "zstd compression is not supported by this build")]
    public void A_build_without_zstd_falls_back(string sqlState, string message)
    {
        var why = SourceCompressionFallback.BuildCannotCompress(new PostgresServerError("ERROR", sqlState, message, null, null), "zstd");
        Assert.Equal($"its build refused zstd compression ({message})", why);
    }

    [Theory]
    [InlineData("42601", "syntax error")]
    [InlineData("55000", "a backup is already in progress in this session")]
    [InlineData("53300", "number of requested standby connections exceeds max_wal_senders")]
    public void Other_errors_are_not_taken_for_a_missing_compressor(string sqlState, string message) =>
        Assert.Null(SourceCompressionFallback.BuildCannotCompress(new PostgresServerError("ERROR", sqlState, message, null, null), "zstd"));
}
