namespace PgBackup.Cli.Serve.Archiver;

/// <summary>
/// What the continuous WAL archiver of one cluster last reported: the fields /api/clusters,
/// /api/status and /metrics show.
/// </summary>
/// <param name="State">e.g. "streaming", "connecting", <see cref="Failed"/>, <see cref="ConfigurationError"/>, <see cref="LeasedArchiver.Standby"/>.</param>
/// <param name="Source">The member WAL is streamed from.</param>
/// <param name="NewestArchivedWalTime">Commit time of the newest archived WAL: the end of the recoverable window.</param>
/// <param name="LastError">The failure being recovered from; null once the archiver streams again.</param>
/// <param name="SourceReason">Why <paramref name="Source"/> was chosen (the ranking's one line).</param>
/// <param name="PreviousError">The last error recovered from, with <paramref name="PreviousErrorAt"/>: history, not state.</param>
/// <param name="Instance">The `serve` instance that archives the cluster (holds its lease).</param>
internal sealed record ArchiverStatus(
    string State,
    string? Source,
    long? LagBytes,
    double? LagSeconds,
    string? NewestArchivedSegment,
    DateTimeOffset? NewestArchivedWalTime,
    string? LastError,
    DateTimeOffset UpdatedAt,
    string? SourceReason = null,
    DateTimeOffset? LastErrorAt = null,
    string? PreviousError = null,
    DateTimeOffset? PreviousErrorAt = null,
    string? Instance = null)
{
    /// <summary>Crashed; the supervisor restarts it after a pause.</summary>
    public const string Failed = "failed";

    /// <summary>Stopped for good by a configuration error (the repository is not this policy's) until the policy changes.</summary>
    public const string ConfigurationError = "stopped: configuration error";

    public bool IsUp => State is not (Failed or ConfigurationError);

    /// <summary>"streaming", or "streaming with WAL gaps".</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsStreaming => State.StartsWith("streaming", StringComparison.Ordinal);
}

/// <summary>Where the host reads archiver state from; null for a cluster whose archiver is not running.</summary>
internal interface IArchiverStatusSource
{
    ArchiverStatus? Get(string cluster);
}
