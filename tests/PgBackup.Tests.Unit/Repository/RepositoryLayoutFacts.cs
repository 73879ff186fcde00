using PgBackup.Repository;

namespace PgBackup.Tests.Unit.Repository;

public sealed class RepositoryLayoutFacts
{
    private readonly RepositoryLayout _layout = new("main");

    [Fact]
    public void Keys_follow_format_version_1()
    {
        Assert.Equal("main/repo.json", _layout.Descriptor);
        Assert.Equal("main/backups/20261127T021500Z/manifest.json", _layout.BackupManifest("20261127T021500Z"));
        Assert.Equal("main/backups/20261127T021500Z/backup_manifest.zst", _layout.PostgresBackupManifest("20261127T021500Z"));
        Assert.Equal("main/backups/20261127T021500Z/data/000042.pack", _layout.Pack("20261127T021500Z", 42));
        Assert.Equal("main/wal/0000000A/0000000A000000010000002F.zst", _layout.WalSegment(10, "0000000A000000010000002F"));
        Assert.Equal("main/wal/0000000A/0000000A000000010000002F.partial.zst", _layout.WalPartial(10, "0000000A000000010000002F"));
        Assert.Equal("main/wal/0000000B.history.zst", _layout.TimelineHistory(11));
    }

    [Fact]
    public void Backup_manifest_keys_parse_back_to_their_id()
    {
        Assert.True(_layout.TryParseBackupManifest(_layout.BackupManifest("20261127T021500Z"), out var id));
        Assert.Equal("20261127T021500Z", id);
        Assert.False(_layout.TryParseBackupManifest(_layout.Pack("20261127T021500Z", 1), out _));
        Assert.False(_layout.TryParseBackupManifest("other/backups/20261127T021500Z/manifest.json", out _));
    }

    [Fact]
    public void Wal_keys_parse_back_to_timeline_segment_and_partial()
    {
        Assert.True(_layout.TryParseWalObject(_layout.WalSegment(0xFFFFFFFF, "FFFFFFFF000000010000002F"), out var whole));
        Assert.Equal(new WalObjectName(0xFFFFFFFF, "FFFFFFFF000000010000002F", Partial: false), whole);
        Assert.True(_layout.TryParseWalObject(_layout.WalPartial(3, "000000030000000100000001"), out var partial));
        Assert.Equal(new WalObjectName(3, "000000030000000100000001", Partial: true), partial);
        Assert.False(_layout.TryParseWalObject(_layout.TimelineHistory(3), out _));
        Assert.True(_layout.TryParseTimelineHistory(_layout.TimelineHistory(3), out var tli));
        Assert.Equal(3u, tli);
        Assert.False(_layout.TryParseTimelineHistory(_layout.WalSegment(3, "000000030000000100000001"), out _));
    }

    [Theory]
    [InlineData("00000003000000010000001")]
    [InlineData("00000003000000010000001g")]
    [InlineData("00000003000000010000001f")]
    [InlineData("../../../../../../etc/pw")]
    public void Malformed_segment_names_are_rejected(string segment) =>
        Assert.Throws<ArgumentException>(() => _layout.WalSegment(3, segment));

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("..")]
    public void Unsafe_cluster_names_and_backup_ids_are_rejected(string name)
    {
        Assert.Throws<ArgumentException>(() => new RepositoryLayout(name));
        Assert.Throws<ArgumentException>(() => _layout.BackupManifest(name));
    }
}
