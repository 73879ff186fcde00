namespace PgBackup.IO;

/// <summary>A snapshot of a running copy (backup, restore, drill), for progress bars and log lines.</summary>
/// <param name="BytesTotal">What the whole copy will move (for a backup the server's estimate); null until known.</param>
public sealed record CopyProgress(string Phase, long BytesDone, long? BytesTotal, string? CurrentFile, TimeSpan Elapsed)
{
    public double BytesPerSecond => Elapsed.TotalSeconds > 0 ? BytesDone / Elapsed.TotalSeconds : 0;

    public TimeSpan? Remaining =>
        BytesTotal is { } total && BytesPerSecond > 0 && total > BytesDone
            ? TimeSpan.FromSeconds((total - BytesDone) / BytesPerSecond)
            : null;
}
