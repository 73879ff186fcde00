namespace PgBackup.IO;

/// <summary>Samples a running backup every quarter second for whoever shows progress.</summary>
internal sealed class CopyProgressReporter : IDisposable
{
    private readonly IProgress<CopyProgress>? _progress;
    private readonly Timer? _timer;

    public CopyProgressReporter(IProgress<CopyProgress>? progress, Func<CopyProgress> sample)
    {
        _progress = progress;
        if (progress is not null)
            _timer = new Timer(_ => progress.Report(sample()), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(250));
    }

    public void Report(CopyProgress value) => _progress?.Report(value);

    public void Dispose() => _timer?.Dispose();
}
