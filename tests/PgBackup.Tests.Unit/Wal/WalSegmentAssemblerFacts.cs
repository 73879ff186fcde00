using PgBackup.Errors;
using PgBackup.Postgres;
using PgBackup.Wal;

namespace PgBackup.Tests.Unit.Wal;

public sealed class WalSegmentAssemblerFacts
{
    private const long OneMiB = 1 << 20;

    private static byte[] Pattern(int length, int seed) => Enumerable.Range(seed, length).Select(i => (byte)(i * 31)).ToArray();

    [Fact]
    public async Task Messages_crossing_a_boundary_complete_a_segment_and_start_the_next()
    {
        var first = new WalSegmentName(1, 5, OneMiB);
        var assembler = new WalSegmentAssembler(first);
        var completed = new List<(string Name, byte[] Bytes)>();
        ValueTask Collect(WalSegmentName n, ReadOnlyMemory<byte> b) { completed.Add((n.FileName, b.ToArray())); return ValueTask.CompletedTask; }

        var all = Pattern((int)OneMiB + 1000, 7);
        await assembler.AppendAsync(first.StartLsn, all.AsMemory(0, 700_000), Collect);
        await assembler.AppendAsync(first.StartLsn + 700_000, all.AsMemory(700_000), Collect);

        var (name, bytes) = Assert.Single(completed);
        Assert.Equal("000000010000000000000005", name);
        Assert.Equal(all.AsSpan(0, (int)OneMiB).ToArray(), bytes);
        Assert.Equal(first.Next(), assembler.Current);
        Assert.Equal(first.EndLsn + 1000, assembler.Position);
        Assert.Equal(all.AsSpan((int)OneMiB).ToArray(), assembler.Snapshot[..1000].ToArray());
        Assert.True(assembler.Snapshot[1000..].ToArray().All(b => b == 0));
    }

    [Fact]
    public async Task A_resend_of_bytes_already_received_is_skipped()
    {
        var first = new WalSegmentName(1, 1, OneMiB);
        var assembler = new WalSegmentAssembler(first);
        var data = Pattern(5000, 1);
        await assembler.AppendAsync(first.StartLsn, data.AsMemory(0, 3000), (_, _) => ValueTask.CompletedTask);
        await assembler.AppendAsync(first.StartLsn + 1000, data.AsMemory(1000), (_, _) => ValueTask.CompletedTask);
        Assert.Equal(first.StartLsn + 5000, assembler.Position);
        Assert.Equal(data, assembler.Snapshot[..5000].ToArray());
    }

    [Fact]
    public async Task A_hole_in_the_stream_is_refused()
    {
        var first = new WalSegmentName(1, 1, OneMiB);
        var assembler = new WalSegmentAssembler(first);
        var e = await Assert.ThrowsAsync<OperationFailedException>(async () =>
            await assembler.AppendAsync(first.StartLsn + 10, new byte[5], (_, _) => ValueTask.CompletedTask));
        Assert.Contains("gap", e.Message);
    }
}
