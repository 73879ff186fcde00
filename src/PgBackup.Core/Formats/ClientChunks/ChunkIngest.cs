using System.Buffers;
using System.Formats.Tar;
using System.Security.Cryptography;
using System.Threading.Channels;
using PgBackup.Repository.Catalog;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Packs;

namespace PgBackup.Formats.ClientChunks;

/// <summary>
/// Turns BASE_BACKUP's tar streams into manifest entries and packed chunks. One reader parses the
/// tar and hashes each file as it passes (the socket is sequential anyway); compression workers,
/// one per core, hash each chunk (the block map of later incrementals), and encode and append it to
/// the packs — unless an incremental's reference already holds the same chunk, which is then
/// pointed at instead of stored. The chunk queue is bounded, so memory stays flat however large
/// the database is.
/// </summary>
internal sealed class ChunkIngest : IContentIngest
{
    private readonly PackWriter _packs;
    private readonly BackupRepository _repository;
    private readonly BlockMap? _reference;
    private readonly int _chunkSize;
    private readonly Channel<ChunkJob> _jobs;
    private readonly Task[] _workers;
    private readonly List<PendingFile> _files = [];
    private readonly CancellationTokenSource _failed = new();
    private long _bytesRead;

    /// <param name="reference">For an incremental: the block map of the backup it builds on; chunks found there are not stored again.</param>
    public ChunkIngest(PackWriter packs, BackupRepository repository, BlockMap? reference, int chunkSize, int workers, CancellationToken ct)
    {
        _packs = packs;
        _repository = repository;
        _reference = reference;
        _chunkSize = chunkSize;
        var codec = repository.Codec;
        _jobs = Channel.CreateBounded<ChunkJob>(new BoundedChannelOptions(workers * 2) { SingleWriter = true });
        var token = CancellationTokenSource.CreateLinkedTokenSource(ct, _failed.Token).Token;
        _workers = Enumerable.Range(0, workers).Select(_ => Task.Run(() => CompressAsync(codec, token), CancellationToken.None)).ToArray();
    }

    public long? BytesRead => Interlocked.Read(ref _bytesRead);

    public string? CurrentFile { get; private set; }

    public async Task IngestAsync(Stream tar, string name, uint? tablespace, CancellationToken ct)
    {
        await using var reader = new TarReader(tar, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
        {
            ThrowIfWorkerFailed();
            var path = entry.Name.TrimEnd('/');
            var mode = (int)entry.Mode;
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    _files.Add(new PendingFile(tablespace, path, BackupFileType.Directory, 0, mode, entry.ModificationTime, null, []));
                    break;
                case TarEntryType.SymbolicLink:
                    _files.Add(new PendingFile(tablespace, path, BackupFileType.SymbolicLink, 0, mode, entry.ModificationTime, entry.LinkName, []));
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    CurrentFile = path;
                    var chunks = new ChunkRef?[(entry.Length + _chunkSize - 1) / _chunkSize];
                    var file = new PendingFile(tablespace, path, BackupFileType.File, entry.Length, mode, entry.ModificationTime, null, chunks);
                    _files.Add(file);
                    file.Sha256 = await ReadChunksAsync(entry.DataStream ?? Stream.Null, file, ct).ConfigureAwait(false);
                    break;
                default:
                    throw new InvalidDataException($"unexpected tar entry type {entry.EntryType} for '{path}' in the base backup");
            }
        }
    }

    public async Task CompleteAsync()
    {
        _jobs.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
    }

    /// <summary>Every file with its chunks; the database's size is what this ingest read, the plain sum of the files.</summary>
    public BackupContent Content(IReadOnlyList<StoredPack> stored, long sourceReportedBytes)
    {
        var packs = new PackList(_repository, _packs.BackupId, stored, _reference?.Packs ?? new Dictionary<string, StoredObject>());
        var files = _files.Select(f => new BackupFile(f.Tablespace, f.Path, f.Type, f.Size, f.Mode, f.ModifiedTime, f.Sha256, f.LinkTarget,
            f.Chunks.Select((c, i) => new ChunkLocation(packs.IndexOf(c!.PackKey), c.Offset, c.StoredLength, c.PlainLength, PlainSha256: f.ChunkSha256[i])).ToList())).ToList();
        return new BackupContent(files, [], packs.Packs, files.Sum(f => f.Size));
    }

    private async Task<string> ReadChunksAsync(Stream data, PendingFile file, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (var seq = 0; seq < file.Chunks.Length; seq++)
        {
            var length = (int)Math.Min(_chunkSize, file.Size - (long)seq * _chunkSize);
            var buffer = ArrayPool<byte>.Shared.Rent(length);
            await data.ReadExactlyAsync(buffer.AsMemory(0, length), ct).ConfigureAwait(false);
            hash.AppendData(buffer, 0, length);
            Interlocked.Add(ref _bytesRead, length);
            try
            {
                await _jobs.Writer.WriteAsync(new ChunkJob(file, seq, buffer, length), ct).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                ThrowIfWorkerFailed(); // the queue only closes early because a worker failed: surface its error
                throw;
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private async Task CompressAsync(RepositoryCodec repositoryCodec, CancellationToken ct)
    {
        using var codec = repositoryCodec.CreateChunkCodec();
        var encoded = new byte[ChunkCodec.MaxEncodedLength(_chunkSize)];
        try
        {
            await foreach (var job in _jobs.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                ChunkRef? reused;
                int length = 0;
                try
                {
                    var plain = job.Buffer.AsSpan(0, job.Length);
                    var sha256 = job.File.ChunkSha256[job.Sequence] = Convert.ToHexStringLower(SHA256.HashData(plain));
                    reused = _reference?.Find(job.File.Tablespace, job.File.Path, job.Sequence, job.Length, sha256);
                    if (reused is null) length = codec.Encode(plain, encoded);
                }
                finally { ArrayPool<byte>.Shared.Return(job.Buffer); }
                job.File.Chunks[job.Sequence] = reused ?? await _packs.AppendAsync(encoded.AsMemory(0, length), job.Length, ct).ConfigureAwait(false);
            }
        }
        catch
        {
            // Stop the reader and the other workers: one failed chunk fails the backup.
            await _failed.CancelAsync().ConfigureAwait(false);
            _jobs.Writer.TryComplete();
            throw;
        }
    }

    private void ThrowIfWorkerFailed()
    {
        if (_workers.FirstOrDefault(w => w.IsFaulted) is { Exception.InnerException: { } e })
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
    }

    public async ValueTask DisposeAsync()
    {
        _jobs.Writer.TryComplete();
        await _failed.CancelAsync().ConfigureAwait(false);
        try { await Task.WhenAll(_workers).ConfigureAwait(false); }
        catch (Exception) { /* already reported by CompleteAsync or the failing read */ }
        while (_jobs.Reader.TryRead(out var job)) ArrayPool<byte>.Shared.Return(job.Buffer);
        _failed.Dispose();
    }

    private sealed record ChunkJob(PendingFile File, int Sequence, byte[] Buffer, int Length);

    private sealed class PendingFile(uint? tablespace, string path, BackupFileType type, long size, int mode, DateTimeOffset modifiedTime, string? linkTarget, ChunkRef?[] chunks)
    {
        public uint? Tablespace { get; } = tablespace;
        public string Path { get; } = path;
        public BackupFileType Type { get; } = type;
        public long Size { get; } = size;
        public int Mode { get; } = mode;
        public DateTimeOffset ModifiedTime { get; } = modifiedTime;
        public string? LinkTarget { get; } = linkTarget;
        public ChunkRef?[] Chunks { get; } = chunks;
        /// <summary>SHA-256 of each chunk's plain content: the block map a later incremental compares with.</summary>
        public string?[] ChunkSha256 { get; } = new string?[chunks.Length];
        public string? Sha256 { get; set; }
    }
}
