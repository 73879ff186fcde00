namespace PgBackup.Backup;

/// <summary>Samples a running backup every quarter second for whoever shows progress.</summary>
internal sealed class BackupProgressReporter : IDisposable
{
    private readonly IProgress<BackupProgress>? _progress;
    private readonly Timer? _timer;

    public BackupProgressReporter(IProgress<BackupProgress>? progress, Func<BackupProgress> sample)
    {
        _progress = progress;
        if (progress is not null)
            _timer = new Timer(_ => progress.Report(sample()), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(250));
    }

    public void Report(BackupProgress value) => _progress?.Report(value);

    public void Dispose() => _timer?.Dispose();
}
