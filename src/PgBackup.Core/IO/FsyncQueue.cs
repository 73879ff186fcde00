using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;

namespace PgBackup.IO;

/// <summary>
/// Flushes (fsync) and closes files a writer hands over as it finishes each, on threads of its own,
/// so a sequential writer (a tar stream) never waits for the disk, and no file is opened a second
/// time just to flush it. At most <c>capacity</c> handed-over files are open at once; the writer
/// waits when the disk falls that far behind.
/// </summary>
/// <remarks>Dedicated threads, not the thread pool: fsync blocks, and blocked pool threads would starve the decoding and untarring.</remarks>
internal sealed class FsyncQueue : IDisposable
{
    private readonly BlockingCollection<SafeFileHandle> _handles;
    private readonly Thread[] _workers;
    private Exception? _failure;

    /// <param name="workers">Flushes in flight: fsync waits on the device, not the CPU, so more than there are cores.</param>
    public FsyncQueue(int workers, int capacity)
    {
        _handles = new BlockingCollection<SafeFileHandle>(capacity);
        _workers = Enumerable.Range(0, workers).Select(i => new Thread(Flush) { IsBackground = true, Name = $"fsync {i}" }).ToArray();
        foreach (var worker in _workers) worker.Start();
    }

    /// <summary>Takes ownership of <paramref name="handle"/>: it is flushed and closed in the background.</summary>
    public void FlushAndClose(SafeFileHandle handle, CancellationToken ct)
    {
        try
        {
            ThrowIfFailed();
            _handles.Add(handle, ct);
        }
        catch
        {
            handle.Dispose();
            ThrowIfFailed(); // the queue stops taking files only because a flush failed: that is the error to report
            throw;
        }
    }

    /// <summary>Waits until every handed-over file is flushed and closed; throws the first flush error (a full or failing disk).</summary>
    public void Complete()
    {
        _handles.CompleteAdding();
        foreach (var worker in _workers) worker.Join();
        ThrowIfFailed();
    }

    private void Flush()
    {
        foreach (var handle in _handles.GetConsumingEnumerable())
        {
            using (handle)
            {
                if (_failure is not null) continue;
                try
                {
                    RandomAccess.FlushToDisk(handle);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _failure, e, null);
                }
            }
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } e)
            throw new IOException($"flushing a restored file to disk failed: {e.Message}", e);
    }

    public void Dispose()
    {
        _handles.CompleteAdding();
        foreach (var worker in _workers) worker.Join();
        _handles.Dispose();
    }
}
