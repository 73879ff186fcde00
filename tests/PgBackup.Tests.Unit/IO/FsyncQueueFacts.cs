using PgBackup.IO;
using PgBackup.Tests.Unit.Repository;

namespace PgBackup.Tests.Unit.IO;

/// <summary>The background flush-and-close of restored files, on real files in a temporary directory.</summary>
public sealed class FsyncQueueFacts : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Every_handed_over_file_is_closed_with_its_content_once_the_queue_completes()
    {
        // More files than the queue holds, so the writer has to wait for the flushers on the way.
        var handles = new List<Microsoft.Win32.SafeHandles.SafeFileHandle>();
        var queue = new FsyncQueue(workers: 3, capacity: 2);
        for (var i = 0; i < 20; i++)
        {
            var handle = File.OpenHandle(Path.Combine(_dir.Path, $"f{i}"), FileMode.CreateNew, FileAccess.Write, FileShare.None);
            RandomAccess.Write(handle, new byte[] { (byte)i, 1, 2 }, 0);
            handles.Add(handle);
            queue.FlushAndClose(handle, CancellationToken.None);
        }
        queue.Complete();
        queue.Dispose();

        Assert.All(handles, h => Assert.True(h.IsClosed));
        Assert.All(Enumerable.Range(0, 20), i => Assert.Equal(new byte[] { (byte)i, 1, 2 }, File.ReadAllBytes(Path.Combine(_dir.Path, $"f{i}"))));
    }

    [Fact]
    public void A_failed_flush_is_reported_by_complete_and_refuses_further_files_closing_them()
    {
        using var queue = new FsyncQueue(workers: 1, capacity: 4);
        var broken = File.OpenHandle(Path.Combine(_dir.Path, "broken"), FileMode.CreateNew, FileAccess.Write, FileShare.None);
        broken.Dispose(); // fsync of a closed handle fails, as a failing disk's would
        queue.FlushAndClose(broken, CancellationToken.None);

        var error = Assert.Throws<IOException>(queue.Complete);
        Assert.StartsWith("flushing a restored file to disk failed", error.Message);
        var late = File.OpenHandle(Path.Combine(_dir.Path, "late"), FileMode.CreateNew, FileAccess.Write, FileShare.None);
        Assert.Throws<IOException>(() => queue.FlushAndClose(late, CancellationToken.None));
        Assert.True(late.IsClosed);
    }
}
