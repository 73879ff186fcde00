namespace PgBackup.Restore;

/// <summary>
/// The archived WAL still arriving in the spool while the restored server recovers (restore
/// --start): recovery starts once the data is in place instead of after the last segment, and
/// replays while the rest downloads; restore_command waits for a segment not yet written
/// (<see cref="WalSpool"/>). A restore without --start writes all of it before it says it is done.
/// </summary>
public sealed class WalArrival
{
    public static readonly WalArrival None = new(null, null);

    private readonly CancellationTokenSource? _stop;
    private readonly ArchivedWalDownload? _wal;
    private Exception? _failure;

    private WalArrival(CancellationTokenSource? stop, ArchivedWalDownload? wal)
    {
        _stop = stop;
        _wal = wal;
    }

    /// <summary>Whether segments are still downloading while the server recovers.</summary>
    public bool Arriving => _wal is not null && !Completion.IsCompleted;

    /// <summary>How many of the archived segments have arrived so far.</summary>
    public long SegmentsArrived => _wal?.SegmentsWritten ?? 0;

    /// <summary>Ends when every segment is written; faults with the download's error.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>
    /// The download's error as it was thrown (the one naming the object), set before restore_command
    /// stops waiting: a recovery that failed for want of a segment finds the reason here.
    /// </summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    internal static WalArrival Start(ArchivedWalDownload wal, string spool, CancellationToken ct)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        WalSpool.BeginArrival(spool, wal.Segments.Select(s => s.FileName));
        var arrival = new WalArrival(stop, wal);
        arrival.Completion = Task.Run(async () =>
        {
            try { await wal.FetchSegmentsAsync(stop.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Volatile.Write(ref arrival._failure, e);
                throw;
            }
            finally { WalSpool.EndArrival(spool); }
        }, CancellationToken.None);
        return arrival;
    }

    /// <summary>
    /// Recovery reached its target: what is still downloading is not wanted, and recovery_end_command
    /// has removed the spool it was going to. A download error can no longer matter either (a segment
    /// recovery needed and did not get would have failed the recovery), so none is raised.
    /// </summary>
    public async Task StopAsync()
    {
        _stop?.Cancel();
        try { await Completion.ConfigureAwait(false); }
        catch (Exception) { }
    }
}
