using PgBackup.Repository.Catalog;

namespace PgBackup.Cli.Json;

/// <summary>What `info --json` prints: the backup's summary and what its manifest says beyond it.</summary>
/// <param name="Compression">e.g. "zstd level 3".</param>
internal sealed record BackupInfoJson(
    BackupSummary Summary,
    int Files,
    IReadOnlyList<string> WalSegments,
    IReadOnlyList<BackupTablespace> Tablespaces,
    string Compression,
    int ServerVersionNum,
    string SystemIdentifier,
    string ToolVersion)
{
    public static BackupInfoJson Of(BackupSummary summary, BackupManifest m) => new(
        summary, m.Files.Count, [.. m.Wal.Select(w => w.FileName)], m.Tablespaces,
        $"{m.Compression} level {m.CompressionLevel}", m.ServerVersionNum, m.SystemIdentifier, m.ToolVersion);
}
