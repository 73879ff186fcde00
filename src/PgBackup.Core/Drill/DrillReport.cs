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
        repository.Store.PutDocumentAsync(repository.Layout.DrillReport(report.FinishedAt), repository.Codec, DocumentKind.DrillReport, Serialize(report), ct);

    /// <summary>The newest drill report, or null if no drill has run.</summary>
    public static async Task<DrillReport?> ReadLatestAsync(BackupRepository repository, CancellationToken ct)
    {
        string? newest = null;
        await foreach (var o in repository.Store.ListAsync(repository.Layout.DrillsPrefix, ct).ConfigureAwait(false))
            if (o.Key.EndsWith(".json", StringComparison.Ordinal) && (newest is null || string.CompareOrdinal(o.Key, newest) > 0))
                newest = o.Key;
        return newest is null ? null : (await ReadCheckedAsync(repository, newest, ct).ConfigureAwait(false)).Report;
    }

    /// <summary>The report stored as <paramref name="key"/>, and whether its checksum vouched for it (false: written by an older version).</summary>
    /// <exception cref="Errors.RepositoryException">The report fails its checksum or does not decode.</exception>
    /// <exception cref="JsonException">The report is not a drill report.</exception>
    public static Task<(DrillReport Report, bool Checksummed)> ReadCheckedAsync(BackupRepository repository, string key, CancellationToken ct) =>
        repository.Store.ReadCheckedDocumentAsync(key, repository.Codec, DocumentKind.DrillReport,
            content => JsonSerializer.Deserialize(content.Span, DrillReportJson.Default.DrillReport) ?? throw new JsonException("the report is null"), ct);
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    AllowDuplicateProperties = false, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(DrillReport))]
internal sealed partial class DrillReportJson : JsonSerializerContext;
