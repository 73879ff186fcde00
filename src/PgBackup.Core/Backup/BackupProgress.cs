namespace PgBackup.Backup;

/// <summary>A snapshot of a running backup, for progress bars and log lines.</summary>
/// <param name="BytesTotal">The server's estimate of the data directory's size; null until known.</param>
public sealed record BackupProgress(string Phase, long BytesDone, long? BytesTotal, string? CurrentFile, TimeSpan Elapsed)
{
    public double BytesPerSecond => Elapsed.TotalSeconds > 0 ? BytesDone / Elapsed.TotalSeconds : 0;

    public TimeSpan? Remaining =>
        BytesTotal is { } total && BytesPerSecond > 0 && total > BytesDone
            ? TimeSpan.FromSeconds((total - BytesDone) / BytesPerSecond)
            : null;
}
