using System.Text.Json;
using System.Text.Json.Serialization;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;

namespace PgBackup.Drill;

/// <summary>One check of a drill: its name, whether it passed, and what was seen.</summary>
public sealed record DrillCheck(string Name, bool Ok, string Detail);

/// <summary>A database of the restored server as the drill counted it.</summary>
public sealed record DrillDatabase(string Name, long Relations, long Tables, long SizeBytes);

/// <summary>
/// What a restore drill did and measured; stored under the repository's drills/ so `serve` can
/// report the last one. Times in seconds: <see cref="UsableSeconds"/> is the recovery time an
/// operator would live through — from the start of the restore to a database answering queries.
/// </summary>
public sealed record DrillReport(
    string Cluster,
    string? BackupId,
    DateTimeOffset? BackupEndTime,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    bool Success,
    string Target,
    string? ArchiveEnd,
    string? RedoDoneAt,
    uint? Timeline,
    double? RestoreSeconds,
    double? RecoverySeconds,
    double? UsableSeconds,
    long? RestoredBytes,
    long? WalSegments,
    IReadOnlyList<DrillDatabase> Databases,
    IReadOnlyList<DrillCheck> Checks,
    string? KeptDataDirectory,
    int? KeptPort)
{
    [JsonIgnore]
    public DrillCheck? FirstFailure => Checks.FirstOrDefault(c => !c.Ok);
}

/// <summary>Drill reports in the repository: written after each drill, the newest read by `serve`.</summary>
public static class DrillReports
{
    public static byte[] Serialize(DrillReport report) => JsonSerializer.SerializeToUtf8Bytes(report, DrillReportJson.Default.DrillReport);

    public static Task WriteAsync(BackupRepository repository, DrillReport report, CancellationToken ct) =>
        repository.Store.PutDocumentAsync(repository.Layout.DrillReport(report.FinishedAt), repository.Codec, Serialize(report), ct);

    /// <summary>The newest drill report, or null if no drill has run.</summary>
    public static async Task<DrillReport?> ReadLatestAsync(BackupRepository repository, CancellationToken ct)
    {
        string? newest = null;
        await foreach (var o in repository.Store.ListAsync(repository.Layout.DrillsPrefix, ct).ConfigureAwait(false))
            if (o.Key.EndsWith(".json", StringComparison.Ordinal) && (newest is null || string.CompareOrdinal(o.Key, newest) > 0))
                newest = o.Key;
        if (newest is null) return null;
        return await repository.Store.ReadDocumentAsync(newest, repository.Codec,
            (s, t) => JsonSerializer.DeserializeAsync(s, DrillReportJson.Default.DrillReport, t), ct).ConfigureAwait(false);
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DrillReport))]
internal sealed partial class DrillReportJson : JsonSerializerContext;
