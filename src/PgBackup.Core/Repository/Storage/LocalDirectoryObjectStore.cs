using System.Buffers;
using PgBackup.Errors;
using PgBackup.IO;

namespace PgBackup.Repository.Storage;

/// <summary>
/// Objects as files under a root directory (a local disk or a mounted NFS share). Puts are atomic
/// and durable the POSIX way: write a temporary file beside the target, fsync it, rename it over
/// the target, fsync the directory.
/// </summary>
public sealed class LocalDirectoryObjectStore : IObjectStore
{
    // Temporary files live beside their target (rename must not cross file systems) and are
    // hidden from listings by this suffix, so a crashed put leaves no visible object.
    private const string TempSuffix = ".pgbackup-tmp";
    private const int CopyBufferSize = 1 << 20;

    private readonly string _root;

    public LocalDirectoryObjectStore(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _root = Path.GetFullPath(root);
    }

    public string Describe => _root;

    public async Task PutAsync(string key, Stream content, CancellationToken ct = default)
    {
        var path = PathOf(key);
        var directory = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}{TempSuffix}");
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            Storage(key, "write", () => CreateDirectoryDurably(directory));
            var file = Storage(key, "write", () => new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous));
            await using (file.ConfigureAwait(false))
            {
                int n;
                // Reads from the caller's stream propagate their own exceptions untouched; only
                // failures of our file system become repository errors.
                while ((n = await content.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                    await StorageAsync(key, "write", () => file.WriteAsync(buffer.AsMemory(0, n), ct)).ConfigureAwait(false);
                Storage(key, "write", () => file.Flush(flushToDisk: true));
            }
            Storage(key, "write", () =>
            {
                File.Move(temp, path, overwrite: true);
                DirectorySync.Flush(directory);
            });
        }
        catch
        {
            // File.Exists also covers a directory that could not be created.
            if (File.Exists(temp))
                File.Delete(temp);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken ct = default)
    {
        using var stream = MemoryStreams.ReadOnly(content);
        await PutAsync(key, stream, ct).ConfigureAwait(false);
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken ct = default) =>
        Task.FromResult<Stream>(Storage(key, "read", () =>
            new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, CopyBufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan)));

    public Task<Stream> OpenReadAsync(string key, long offset, long length, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var handle = Storage(key, "read", () => File.OpenHandle(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.Asynchronous));
        var size = RandomAccess.GetLength(handle);
        if (offset + length > size)
        {
            handle.Dispose();
            throw new RepositoryException($"object '{key}' in {Describe} has {size} bytes, fewer than the {offset + length} a read expected: the repository is damaged or the manifest is wrong");
        }
        return Task.FromResult<Stream>(new FileRangeStream(handle, offset, length));
    }

    public Task<ObjectInfo?> HeadAsync(string key, CancellationToken ct = default)
    {
        var file = new FileInfo(PathOf(key));
        return Task.FromResult(file.Exists ? Info(key, file) : null);
    }

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken ct = default)
    {
        ObjectKey.ValidatePrefix(prefix);
        // Only the directory named by the prefix's complete segments can hold matches.
        var directory = new DirectoryInfo(Path.Combine(_root, prefix[..(prefix.LastIndexOf('/') + 1)]));
        if (!directory.Exists)
            return AsyncEnumerable.Empty<ObjectInfo>();
        // Sorted like an S3 listing; a local repository's key count fits in memory.
        return Storage(prefix, "list", () => directory
            .EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false })
            .Where(f => !f.Name.EndsWith(TempSuffix, StringComparison.Ordinal))
            .Select(f => Info(Path.GetRelativePath(_root, f.FullName).Replace(Path.DirectorySeparatorChar, '/'), f))
            .Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(o => o.Key, StringComparer.Ordinal)
            .ToList())
            .ToAsyncEnumerable();
    }

    public Task DeleteAsync(string key, CancellationToken ct = default)
    {
        var path = PathOf(key);
        Storage(key, "delete", () =>
        {
            // File.Delete ignores a missing file but not a missing directory.
            if (File.Exists(path))
                File.Delete(path);
        });
        return Task.CompletedTask;
    }

    /// <summary>Temporary files of puts that never finished, and the folders left empty, below the prefix's folder.</summary>
    public Task RemoveLeftoversAsync(string prefix, CancellationToken ct = default)
    {
        ObjectKey.ValidatePrefix(prefix);
        var directory = new DirectoryInfo(Path.Combine(_root, prefix[..(prefix.LastIndexOf('/') + 1)]));
        Storage(prefix, "remove leftovers", () =>
        {
            if (!directory.Exists) return;
            foreach (var temp in directory.EnumerateFiles("*" + TempSuffix, SearchOption.AllDirectories))
                temp.Delete();
            foreach (var empty in directory.EnumerateDirectories("*", SearchOption.AllDirectories).OrderByDescending(d => d.FullName.Length).Append(directory))
                if (!empty.EnumerateFileSystemInfos().Any()) empty.Delete();
        });
        return Task.CompletedTask;
    }

    public async Task DeleteManyAsync(IEnumerable<string> keys, CancellationToken ct = default)
    {
        foreach (var key in keys)
        {
            ct.ThrowIfCancellationRequested();
            await DeleteAsync(key, ct).ConfigureAwait(false);
        }
    }

    private string PathOf(string key)
    {
        ObjectKey.Validate(key);
        if (key.EndsWith(TempSuffix, StringComparison.Ordinal))
            throw new ArgumentException($"object key '{key}' ends with the reserved suffix {TempSuffix}", nameof(key));
        return Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));
    }

    private static ObjectInfo Info(string key, FileInfo file) => new(key, file.Length, new DateTimeOffset(file.LastWriteTimeUtc));

    /// <summary>Creates missing directories one level at a time, flushing each parent so the new entry survives a crash.</summary>
    private void CreateDirectoryDurably(string directory)
    {
        if (Directory.Exists(directory))
            return;
        var parent = Path.GetDirectoryName(directory)!;
        CreateDirectoryDurably(parent);
        Directory.CreateDirectory(directory);
        DirectorySync.Flush(parent);
    }

    private T Storage<T>(string key, string operation, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException && operation == "read")
        {
            throw new ObjectNotFoundException(key, Describe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(key, operation, e);
        }
    }

    private void Storage(string key, string operation, Action action) => Storage(key, operation, () => { action(); return true; });

    private async Task StorageAsync(string key, string operation, Func<ValueTask> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(key, operation, e);
        }
    }

    private RepositoryException Failure(string key, string operation, Exception e) =>
        new($"cannot {operation} '{key}' in {Describe}: {e.Message}; check the directory exists, is writable and has space", e);
}
