using PgBackup.Cli.Serve.Archiver;
using PgBackup.Cli.Serve.Policies;
using PgBackup.Cli.Serve.Status;

namespace PgBackup.Cli.Json;

/// <summary>/api/status: the policy directory, the files in it that are not valid policies, and each cluster's backup health.</summary>
internal sealed record StatusJson(string PolicyDirectory, IReadOnlyList<PolicyErrorJson> PolicyErrors, IReadOnlyList<ClusterStatusJson> Clusters)
{
    public static StatusJson Of(string directory, IReadOnlyList<PolicyError> errors, IReadOnlyList<ClusterStatus> clusters) => new(
        directory, [.. errors.Select(e => new PolicyErrorJson(e.File, e.Reason))], [.. clusters.Select(ClusterStatusJson.Of)]);
}

internal sealed record PolicyErrorJson(string File, string Reason);

/// <param name="LastBackup">The newest complete backup (its chain not measured: null).</param>
/// <param name="RepositoryError">Why the repository could not be read; the counts are then zero.</param>
internal sealed record ClusterStatusJson(
    string Cluster,
    int CompleteBackups,
    bool BackupRunning,
    BackupSummary? LastBackup,
    double? LastBackupAgeSeconds,
    RecoverableWindowJson RecoverableWindow,
    ArchiverStatus? Archiver,
    long? ArchiverLagBytes,
    double? ArchiverLagSeconds,
    string? RepositoryError)
{
    public static ClusterStatusJson Of(ClusterStatus c) => new(
        c.Cluster, c.CompleteBackups, c.BackupRunning, c.LastBackup is { } m ? BackupSummary.Of(m) : null, c.LastBackupAgeSeconds,
        new RecoverableWindowJson(c.WindowStart, c.WindowEnd,
            c.Archiver?.NewestArchivedWalTime is null ? "newest backup end (no WAL archiver)" : "newest archived WAL"),
        c.Archiver, c.Archiver?.LagBytes, c.Archiver?.LagSeconds, c.RepositoryError);
}

/// <summary>The span a restore can reach, and what bounds its end.</summary>
internal sealed record RecoverableWindowJson(DateTimeOffset? Start, DateTimeOffset? End, string EndsAt);
