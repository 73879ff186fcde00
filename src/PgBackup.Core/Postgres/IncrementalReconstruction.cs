namespace PgBackup.Postgres;

/// <summary>
/// Where each block of a file reconstructed from an INCREMENTAL file comes from, by the rules of
/// pg_combinebackup's reconstruct.c: the newest incremental's own blocks first; then, walking back
/// through the chain, each older incremental's blocks and finally the full file's — but only blocks
/// below the newest's truncation_block_length, and from the full file only blocks it has. A block
/// nobody supplies is zeros (the server extended the file without logging that block). The
/// reconstructed file is max(truncation_block_length, highest listed block + 1) blocks long.
/// </summary>
/// <remarks>Two arrays of the file's length in blocks (at most 131072): memory bounded by the segment size.</remarks>
public sealed class IncrementalReconstruction
{
    /// <summary>No source: the block is written as zeros.</summary>
    public const int Zeros = -1;

    private readonly uint _truncation;
    private readonly int[] _source;
    private readonly long[] _offset;
    private int _sources;

    /// <param name="newest">The header of the backup's own INCREMENTAL file: source 0.</param>
    public IncrementalReconstruction(IncrementalFileHeader newest)
    {
        _truncation = newest.TruncationBlockLength;
        var length = newest.Blocks.Count > 0 ? Math.Max(_truncation, newest.Blocks[^1] + 1) : _truncation;
        _source = new int[length];
        _offset = new long[length];
        Array.Fill(_source, Zeros);
        Add(newest, limit: length);
    }

    public int BlockLength => _source.Length;

    public long FileLength => (long)BlockLength * IncrementalFileHeader.BlockSize;

    /// <summary>Whether a full file has been added: older backups are not consulted after it.</summary>
    public bool Complete { get; private set; }

    /// <summary>Sources added so far; the next one added gets this number.</summary>
    public int Sources => _sources;

    /// <summary>Adds the next older backup's INCREMENTAL file of the same relation file.</summary>
    public void AddIncremental(IncrementalFileHeader older)
    {
        if (Complete) throw new InvalidOperationException("a full file was already added: older backups are not consulted");
        Add(older, limit: _truncation);
    }

    /// <summary>Adds the next older backup's whole file (of <paramref name="fileLength"/> bytes): the last source.</summary>
    public void AddFull(long fileLength)
    {
        if (Complete) throw new InvalidOperationException("a full file was already added");
        var source = _sources++;
        var blocks = Math.Min(_truncation, fileLength / IncrementalFileHeader.BlockSize);
        for (var b = 0; b < blocks; b++)
        {
            if (_source[b] != Zeros) continue;
            _source[b] = source;
            _offset[b] = (long)b * IncrementalFileHeader.BlockSize;
        }
        Complete = true;
    }

    /// <summary>The source of block <paramref name="block"/> and the offset of the block in that source's file; <see cref="Zeros"/> for none.</summary>
    public (int Source, long Offset) SourceOf(int block) => (_source[block], _offset[block]);

    /// <summary>
    /// Produces the file front to back, a megabyte at a time: each block read from its source into
    /// place (or zeroed), then the run handed to <paramref name="write"/> with its file offset.
    /// </summary>
    /// <param name="read">Reads one block: source, offset in that source's file, destination of BLCKSZ bytes.</param>
    public async Task WriteAsync(Func<int, long, Memory<byte>, CancellationToken, ValueTask> read, Func<ReadOnlyMemory<byte>, long, CancellationToken, ValueTask> write, CancellationToken ct)
    {
        const int BlocksPerWrite = 128;
        var buffer = new byte[BlocksPerWrite * IncrementalFileHeader.BlockSize];
        for (var first = 0; first < BlockLength; first += BlocksPerWrite)
        {
            var count = Math.Min(BlocksPerWrite, BlockLength - first);
            for (var i = 0; i < count; i++)
            {
                var block = buffer.AsMemory(i * IncrementalFileHeader.BlockSize, IncrementalFileHeader.BlockSize);
                var (source, offset) = SourceOf(first + i);
                if (source == Zeros) block.Span.Clear();
                else await read(source, offset, block, ct).ConfigureAwait(false);
            }
            await write(buffer.AsMemory(0, count * IncrementalFileHeader.BlockSize), (long)first * IncrementalFileHeader.BlockSize, ct).ConfigureAwait(false);
        }
    }

    private void Add(IncrementalFileHeader header, long limit)
    {
        var source = _sources++;
        for (var i = 0; i < header.Blocks.Count; i++)
        {
            var b = header.Blocks[i];
            if (b >= limit || _source[b] != Zeros) continue;
            _source[b] = source;
            _offset[b] = header.OffsetOf(i);
        }
    }
}
