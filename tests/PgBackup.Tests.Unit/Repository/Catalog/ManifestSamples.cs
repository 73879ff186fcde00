using PgBackup.Postgres;
using PgBackup.Repository.Catalog;

namespace PgBackup.Tests.Unit.Repository.Catalog;

/// <summary>A client-compressed backup's manifest: one file of two chunks in one pack, its WAL and PostgreSQL's manifest.</summary>
internal static class ManifestSamples
{
    public const string Id = "20261201T100000Z";

    public static BackupManifest ClientCompressed { get; } = new()
    {
        Id = Id, Cluster = "main", SystemIdentifier = "7312345678901234567", ServerVersionNum = 150018, ToolVersion = "test",
        Source = new BackupSource("m2", "127.0.0.1", 5432),
        StartTime = new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero), EndTime = new DateTimeOffset(2026, 12, 1, 10, 3, 0, TimeSpan.Zero),
        StartLsn = Lsn.Parse("0/5000028"), EndLsn = Lsn.Parse("0/5000138"), Timeline = 1, WalSegmentSize = WalSegmentSize.Default,
        Compression = "zstd", CompressionLevel = 3, ChunkSize = 4 << 20, DatabaseSize = (4 << 20) + 1000, StoredSize = 9000,
        Tablespaces = [],
        Files =
        [
            new BackupFile(null, "base", BackupFileType.Directory, 0, 0x1C0, DateTimeOffset.UnixEpoch, null, null, []),
            new BackupFile(null, "base/1/1259", BackupFileType.File, (4 << 20) + 1000, 0x180, DateTimeOffset.UnixEpoch, new string('a', 64), null,
                [new ChunkLocation(0, 0, 6000, 4 << 20), new ChunkLocation(0, 6000, 500, 1000)]),
        ],
        Packs = [new StoredObject("data/000001.pack", 6500, new string('b', 64))],
        Wal = [new EncodedObject("wal/000000010000000000000005.zst", 2000, new string('c', 64))],
        PostgresManifest = new EncodedObject("backup_manifest.zst", 500, new string('d', 64)),
    };
}
