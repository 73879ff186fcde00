namespace PgBackup.Cli.Serve;

internal enum ShutdownMode { Cancel, Finish }

/// <summary>`pgbackup serve` as the command line asked for it, validated.</summary>
/// <param name="Workers">Jobs other than backups (expire, verify, drill) this instance runs at once.</param>
/// <param name="MaxConcurrentBackups">Backups this instance runs at once, across its clusters.</param>
/// <param name="ShutdownTimeout">With <see cref="ShutdownMode.Finish"/>: how long a running job may go on before it is cancelled after all.</param>
internal sealed record ServeOptions(
    string PolicyDirectory,
    IReadOnlyList<string> Urls,
    Storage.JobStorageSetting Storage,
    string? Token,
    ShutdownMode OnShutdown,
    TimeSpan ShutdownTimeout,
    int Workers,
    int MaxConcurrentBackups,
    Security.TrustedProxies TrustedProxies)
{
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <summary>Time a cancelled backup gets to discard what it wrote (BackupRun removes it within 30 s).</summary>
    public static readonly TimeSpan CleanupGrace = TimeSpan.FromSeconds(35);

    /// <summary>When Hangfire cancels running jobs after stop was requested.</summary>
    public TimeSpan JobStopTimeout => OnShutdown == ShutdownMode.Finish ? ShutdownTimeout : TimeSpan.Zero;
}
