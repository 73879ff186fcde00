using PgBackup.Errors;
using PgBackup.Formats;
using PgBackup.Policies;
using PgBackup.Repository.Catalog;
using PgBackup.Tests.Unit.Repository.Catalog;

namespace PgBackup.Tests.Unit.Formats;

public sealed class BackupFormatsFacts
{
    private static readonly BackupArchive BaseTar = new(null, "base.tar.zst", 100, [new ChunkLocation(0, 0, 100, 100, new string('e', 64))]);

    [Theory]
    [InlineData(CompressionSite.Client, "client-chunks")]
    [InlineData(CompressionSite.Server, "server-archives")]
    public void The_policy_compression_site_chooses_the_format_a_backup_is_taken_in(CompressionSite site, string name)
    {
        Assert.Equal(name, BackupFormats.For(site).Name);
    }

    [Fact]
    public void A_manifest_is_read_back_in_the_format_it_records()
    {
        foreach (var site in new[] { CompressionSite.Client, CompressionSite.Server })
        {
            var format = BackupFormats.For(site);
            Assert.Same(format, BackupFormats.Of(ManifestSamples.ClientCompressed with { Format = format.Name }));
        }
    }

    [Fact]
    public void A_manifest_written_before_formats_were_recorded_is_server_archives_exactly_when_it_has_archives()
    {
        Assert.Equal("client-chunks", BackupFormats.Of(ManifestSamples.ClientCompressed with { Format = null }).Name);
        Assert.Equal("server-archives", BackupFormats.Of(ManifestSamples.ClientCompressed with { Format = null, Files = [], Archives = [BaseTar] }).Name);
    }

    [Fact]
    public void A_format_this_version_does_not_know_is_a_repository_error_naming_it()
    {
        var e = Assert.Throws<RepositoryException>(() => BackupFormats.Of(ManifestSamples.ClientCompressed with { Format = "block-incremental" }));
        Assert.Contains("'block-incremental'", e.Message, StringComparison.Ordinal);
        Assert.Contains(ManifestSamples.Id, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_client_chunks_can_restore_with_delta_and_server_archives_refuse_before_writing()
    {
        var destination = new RefusingDestination();
        var e = Assert.Throws<UsageException>(() => BackupFormats.For(CompressionSite.Server).Restorer(null!, ManifestSamples.ClientCompressed, destination, delta: true));
        Assert.Contains("--delta", e.Message, StringComparison.Ordinal);
        Assert.NotNull(BackupFormats.For(CompressionSite.Client).Restorer(null!, ManifestSamples.ClientCompressed, destination, delta: true));
    }

    /// <summary>Any use fails the test: creating a restorer must not touch the destination.</summary>
    private sealed class RefusingDestination : IRestoreDestination
    {
        public IEnumerable<string> Roots => throw new InvalidOperationException("the destination was touched");

        public string PathOf(uint? tablespace, string relative) => throw new InvalidOperationException("the destination was touched");

        public bool IsOwnFile(string path) => throw new InvalidOperationException("the destination was touched");
    }
}
