using PgBackup.Wal;

namespace PgBackup.Tests.Unit.Wal;

/// <summary>The archiver's segment buffer: spooled to an unlinked file, zeros beyond what is filled, readable and re-readable as one stream.</summary>
public sealed class WalSegmentBufferFacts
{
    private const long SegmentSize = 1 << 20;

    private static byte[] Pattern(int length, int seed) => [.. Enumerable.Range(seed, length).Select(i => (byte)(i * 31 + 7))];

    private static byte[] ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy, 70_001); // reads that straddle chunk boundaries
        return copy.ToArray();
    }

    [Fact]
    public void Appends_read_back_in_order_zero_padded_to_the_segment()
    {
        using var buffer = new WalSegmentBuffer(SegmentSize);
        var first = Pattern(20, 0); // shorter than the header the buffer keeps in memory
        var second = Pattern(300_010, 5);

        Assert.Equal(first.Length, buffer.Append(first));
        Assert.Equal(second.Length, buffer.Append(second));

        var read = ReadAll(buffer.OpenRead());
        Assert.Equal(SegmentSize, read.Length);
        Assert.Equal([.. first, .. second], read[..(first.Length + second.Length)]);
        Assert.Equal(-1, read.AsSpan(first.Length + second.Length).IndexOfAnyExcept((byte)0));
        Assert.Equal(read[..40], buffer.Start(40).ToArray());
    }

    [Fact]
    public void Append_takes_no_more_than_the_segment_holds()
    {
        using var buffer = new WalSegmentBuffer(SegmentSize);
        var wal = Pattern((int)SegmentSize + 100, 1);

        Assert.Equal((int)SegmentSize, buffer.Append(wal));
        Assert.True(buffer.IsFull);
        Assert.Equal(wal.AsSpan(0, (int)SegmentSize).ToArray(), ReadAll(buffer.OpenRead()));
    }

    [Fact]
    public void The_stream_seeks_so_an_upload_can_retry_from_the_start()
    {
        using var buffer = new WalSegmentBuffer(SegmentSize);
        buffer.Append(Pattern(300_000, 2));
        using var stream = buffer.OpenRead();

        var once = ReadAll(stream);
        stream.Position = 0;
        Assert.Equal(once, ReadAll(stream));
        stream.Seek(-10, SeekOrigin.End);
        Assert.Equal(10, ReadAll(stream).Length);
    }

    [Fact]
    public void After_a_reset_the_previous_segment_is_never_read_as_wal_of_the_next()
    {
        using var buffer = new WalSegmentBuffer(SegmentSize);
        buffer.Append(Pattern((int)SegmentSize, 3));
        buffer.Reset();
        buffer.Append(Pattern(100, 4));

        var read = ReadAll(buffer.OpenRead());
        Assert.Equal(Pattern(100, 4), read[..100]);
        Assert.Equal(-1, read.AsSpan(100).IndexOfAnyExcept((byte)0));
        Assert.Equal(100, buffer.Filled);
    }

    [Fact]
    public void The_spool_file_is_unlinked_while_open_so_a_killed_process_leaves_nothing()
    {
        var directory = Directory.CreateTempSubdirectory("pgbackup-spool-");
        try
        {
            using var buffer = new WalSegmentBuffer(SegmentSize, directory.FullName);
            buffer.Append(Pattern(5000, 6));

            Assert.Empty(directory.EnumerateFileSystemInfos());
            Assert.Equal(Pattern(5000, 6), ReadAll(buffer.OpenRead())[..5000]);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void An_unwritable_spool_directory_is_one_line_naming_it_and_what_to_do()
    {
        var e = Assert.Throws<PgBackup.Errors.OperationFailedException>(() => new WalSegmentBuffer(SegmentSize, "/proc/no-such-dir"));

        Assert.StartsWith("cannot create the WAL spool file in /proc/no-such-dir (", e.Message);
        Assert.EndsWith("set TMPDIR to a writable directory on disk", e.Message);
    }
}
