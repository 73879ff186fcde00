namespace PgBackup.Cli.Serve.Archiver;

/// <summary>
/// What the continuous WAL archiver of one cluster last reported: the fields /api/clusters,
/// /api/status and /metrics show.
/// </summary>
/// <param name="State">e.g. "streaming", "connecting", <see cref="Failed"/>, <see cref="ConfigurationError"/>.</param>
/// <param name="Source">The member WAL is streamed from.</param>
/// <param name="NewestArchivedWalTime">Commit time of the newest archived WAL: the end of the recoverable window.</param>
internal sealed record ArchiverStatus(
    string State,
    string? Source,
    long? LagBytes,
    double? LagSeconds,
    string? NewestArchivedSegment,
    DateTimeOffset? NewestArchivedWalTime,
    string? LastError,
    DateTimeOffset UpdatedAt)
{
    /// <summary>Crashed; the supervisor restarts it after a pause.</summary>
    public const string Failed = "failed";

    /// <summary>Stopped for good by a configuration error (the repository is not this policy's) until the policy changes.</summary>
    public const string ConfigurationError = "stopped: configuration error";

    public bool IsUp => State is not (Failed or ConfigurationError);
}

/// <summary>Where the host reads archiver state from; null for a cluster whose archiver is not running.</summary>
internal interface IArchiverStatusSource
{
    ArchiverStatus? Get(string cluster);
}
