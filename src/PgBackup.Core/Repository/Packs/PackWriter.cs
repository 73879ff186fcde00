using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using PgBackup.Repository.Storage;

namespace PgBackup.Repository.Packs;

/// <summary>
/// Appends encoded chunks from any number of compression workers to a backup's packs — objects
/// that are plain concatenations of independent frames — and uploads each pack once it reaches the
/// target size. Memory is bounded: one pack filling plus at most <c>maxPacksUploading</c> sealed
/// packs; when all upload slots are busy, <see cref="AppendAsync"/> waits (backpressure).
/// </summary>
/// <remarks>
/// A pack has no header or index: the manifest's <see cref="ChunkRef"/>s are the index, so a pack
/// is readable with ranged GETs alone and written with one atomic put.
/// </remarks>
public sealed class PackWriter : IAsyncDisposable
{
    public const int DefaultTargetPackSize = 64 << 20;

    private readonly IObjectStore _store;
    private readonly Func<int, string> _packKey;
    private readonly int _targetPackSize;
    private readonly SemaphoreSlim _appending = new(1);
    private readonly SemaphoreSlim _uploadSlots;
    private readonly ConcurrentBag<byte[]> _freeBuffers = [];
    private readonly List<Task> _uploads = [];
    private readonly List<string> _packKeys = [];
    private readonly ConcurrentDictionary<string, StoredPack> _stored = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _abandon = new();
    private byte[]? _filling;
    private int _filled;

    /// <param name="store">Where packs go.</param>
    /// <param name="layout">Names the packs.</param>
    /// <param name="backupId">The backup the packs belong to.</param>
    /// <param name="targetPackSize">A pack is sealed before it would grow past this size.</param>
    /// <param name="maxPacksUploading">Sealed packs uploading at once.</param>
    public PackWriter(IObjectStore store, RepositoryLayout layout, string backupId, int targetPackSize = DefaultTargetPackSize, int maxPacksUploading = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetPackSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPacksUploading);
        _store = store;
        BackupId = backupId;
        _packKey = sequence => layout.Pack(backupId, sequence);
        _ = layout.BackupPrefix(backupId); // validates the id now rather than at the first pack
        _targetPackSize = targetPackSize;
        _uploadSlots = new SemaphoreSlim(maxPacksUploading);
    }

    /// <summary>The backup the packs belong to.</summary>
    public string BackupId { get; }

    /// <summary>Packs durably stored, with the SHA-256 of their stored bytes (for verify and restore), in key order.</summary>
    public IReadOnlyList<StoredPack> StoredPacks => _stored.Values.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();

    /// <summary>
    /// Copies one encoded chunk into the current pack and says where it will live. Safe to call
    /// concurrently; fails if an earlier pack upload failed.
    /// </summary>
    public async Task<ChunkRef> AppendAsync(ReadOnlyMemory<byte> encodedChunk, int plainLength, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(plainLength);
        await _appending.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ThrowIfUploadFailed();
            if (_filling is not null && _filled + encodedChunk.Length > _targetPackSize)
                await SealAsync(ct).ConfigureAwait(false);
            if (_filling is null)
            {
                _filling = RentBuffer(encodedChunk.Length);
                _packKeys.Add(_packKey(_packKeys.Count + 1));
            }
            encodedChunk.CopyTo(_filling.AsMemory(_filled));
            var chunk = new ChunkRef(_packKeys[^1], _filled, encodedChunk.Length, plainLength);
            _filled += encodedChunk.Length;
            return chunk;
        }
        finally
        {
            _appending.Release();
        }
    }

    /// <summary>Uploads the last, partly filled pack and returns once every pack is durable in the store.</summary>
    public async Task CompleteAsync(CancellationToken ct = default)
    {
        await _appending.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_filling is not null)
                await SealAsync(ct).ConfigureAwait(false);
            await Task.WhenAll(_uploads).ConfigureAwait(false);
        }
        finally
        {
            _appending.Release();
        }
    }

    /// <summary>Stops uploads still running (after a failure elsewhere) and waits for them to let go of their buffers.</summary>
    public async ValueTask DisposeAsync()
    {
        await _abandon.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_uploads).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Completed packs are reported by CompleteAsync; here the caller is already giving up.
        }
        _abandon.Dispose();
        _appending.Dispose();
        _uploadSlots.Dispose();
    }

    private async Task SealAsync(CancellationToken ct)
    {
        // Waiting here, inside the append lock, is what holds the producers back.
        await _uploadSlots.WaitAsync(ct).ConfigureAwait(false);
        var buffer = _filling!;
        var length = _filled;
        var key = _packKeys[^1];
        _filling = null;
        _filled = 0;
        _uploads.Add(Task.Run(async () =>
        {
            try
            {
                var sha256 = Convert.ToHexStringLower(SHA256.HashData(buffer.AsSpan(0, length)));
                await _store.PutAsync(key, buffer.AsMemory(0, length), _abandon.Token).ConfigureAwait(false);
                _stored[key] = new StoredPack(key, length, sha256);
            }
            finally
            {
                _freeBuffers.Add(buffer);
                _uploadSlots.Release();
            }
        }, CancellationToken.None));
    }

    private byte[] RentBuffer(int atLeast) =>
        _freeBuffers.TryTake(out var buffer) && buffer.Length >= atLeast ? buffer : new byte[Math.Max(_targetPackSize, atLeast)];

    private void ThrowIfUploadFailed()
    {
        if (_uploads.FirstOrDefault(t => t.IsFaulted) is { Exception.InnerException: { } failure })
            ExceptionDispatchInfo.Throw(failure);
    }
}
