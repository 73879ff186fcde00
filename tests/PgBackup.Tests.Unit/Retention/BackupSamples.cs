using PgBackup.Postgres;
using PgBackup.Repository.Catalog;

namespace PgBackup.Tests.Unit.Retention;

/// <summary>Complete backups as the catalog lists them, for retention and reference-choice facts.</summary>
internal static class BackupSamples
{
    /// <param name="reusesPacksOf">For an incremental: the earlier backups whose packs it points at.</param>
    public static BackupEntry Complete(string id, uint timeline, string startLsn, DateTimeOffset started,
        BackupType type = BackupType.Full, string? reference = null, params string[] reusesPacksOf)
    {
        var manifest = new BackupManifest
        {
            Id = id, Type = type, Reference = reference, Cluster = "main", SystemIdentifier = "7301234567890123456", ServerVersionNum = 150018, ToolVersion = "test",
            Source = new BackupSource("m2", "127.0.0.1", 5432), StartTime = started, EndTime = started.AddMinutes(3),
            StartLsn = Lsn.Parse(startLsn), EndLsn = Lsn.Parse(startLsn) + 0x1000000, Timeline = timeline, WalSegmentSize = WalSegmentSize.Default,
            Format = "client-chunks", Compression = "zstd", CompressionLevel = 3, ChunkSize = 4 << 20, DatabaseSize = 40 << 20, StoredSize = 8 << 20,
            Tablespaces = [], Files = [], Wal = [], PostgresManifest = new EncodedObject("backup_manifest.zst", 900, "00"),
            Packs = reusesPacksOf.Select(b => new StoredObject("data/000001.pack", 1000, new string('a', 64), b)).ToList(),
        };
        return new BackupEntry(id, BackupStatus.Complete, manifest, 8 << 20, started.AddMinutes(3));
    }
}
