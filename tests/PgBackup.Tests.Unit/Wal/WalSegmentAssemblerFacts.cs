using System.Globalization;
using PgBackup.Errors;
using PgBackup.Postgres;
using PgBackup.Wal;

namespace PgBackup.Tests.Unit.Wal;

/// <summary>
/// Streamed WAL into checked segments, fed with the two consecutive PostgreSQL 15 segments captured
/// from the sandbox (records-A, records-B), cut into XLogData payloads as a walsender sends them.
/// </summary>
public sealed class WalSegmentAssemblerFacts
{
    private const int MaxSendSize = 16 * 8192; // a walsender's XLogData payloads are at most 16 pages
    private static readonly byte[] SegmentA = Sample("records-A.zst");
    private static readonly byte[] SegmentB = Sample("records-B.zst");
    private static readonly WalPageHeader Header = WalPageHeader.TryRead(SegmentA)!.Value;
    private static readonly WalSegmentName NameA = WalSegmentName.Containing(Header.Timeline, Header.PageAddress);
    private static readonly string SystemId = Header.SystemIdentifier.ToString(CultureInfo.InvariantCulture);

    private readonly List<(WalSegmentName Name, byte[] Bytes)> _completed = [];

    private static byte[] Sample(string name) =>
        new ZstdSharp.Decompressor().Unwrap(File.ReadAllBytes(Path.Combine(TestData.RepoRoot(), "tests", "PgBackup.Tests.Unit", "Postgres", "Samples", "wal", name))).ToArray();

    private ValueTask Collect(WalSegmentName name, Stream content)
    {
        _completed.Add((name, ReadAll(content)));
        return ValueTask.CompletedTask;
    }

    private static byte[] ReadAll(Stream content)
    {
        using var copy = new MemoryStream();
        content.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Sends <paramref name="wal"/>, which starts at <paramref name="start"/>, in payloads of at most <paramref name="size"/> bytes.</summary>
    private async Task SendAsync(WalSegmentAssembler assembler, Lsn start, byte[] wal, int size = MaxSendSize)
    {
        for (var offset = 0; offset < wal.Length; offset += size)
            await assembler.AppendAsync(start + (ulong)offset, wal.AsMemory(offset, Math.Min(size, wal.Length - offset)), Collect);
    }

    [Fact]
    public async Task Streamed_segments_come_out_whole_and_checked_and_the_next_one_fills()
    {
        var assembler = new WalSegmentAssembler(NameA, SystemId);

        await SendAsync(assembler, NameA.StartLsn, [.. SegmentA, .. SegmentB.AsSpan(0, 1000)], size: 100_000);

        var (name, bytes) = Assert.Single(_completed);
        Assert.Equal(NameA, name);
        Assert.Equal(SegmentA, bytes);
        Assert.Equal(NameA.Next(), assembler.Current);
        Assert.Equal(NameA.EndLsn + 1000, assembler.Position);
        var snapshot = ReadAll(assembler.OpenSnapshot());
        Assert.Equal(SegmentB.Length, snapshot.Length);
        Assert.Equal(SegmentB.AsSpan(0, 1000).ToArray(), snapshot[..1000]);
        Assert.True(snapshot[1000..].All(b => b == 0));
    }

    [Fact]
    public async Task Consecutive_captured_segments_both_check_out()
    {
        var assembler = new WalSegmentAssembler(NameA, SystemId);

        await SendAsync(assembler, NameA.StartLsn, [.. SegmentA, .. SegmentB]);

        Assert.Equal([NameA, NameA.Next()], _completed.Select(c => c.Name));
        Assert.Equal(SegmentB, _completed[1].Bytes);
        Assert.False(assembler.HasData);
    }

    [Fact]
    public async Task A_resend_of_bytes_already_received_is_skipped()
    {
        var assembler = new WalSegmentAssembler(NameA, SystemId);

        await assembler.AppendAsync(NameA.StartLsn, SegmentA.AsMemory(0, 3000), Collect);
        await assembler.AppendAsync(NameA.StartLsn + 1000, SegmentA.AsMemory(1000, 4000), Collect);

        Assert.Equal(NameA.StartLsn + 5000, assembler.Position);
        Assert.Equal(SegmentA.AsSpan(0, 5000).ToArray(), ReadAll(assembler.OpenSnapshot())[..5000]);
    }

    [Fact]
    public async Task A_hole_in_the_stream_is_refused()
    {
        var assembler = new WalSegmentAssembler(NameA, SystemId);

        var e = await Assert.ThrowsAsync<OperationFailedException>(async () => await assembler.AppendAsync(NameA.StartLsn + 10, SegmentA.AsMemory(10, 5), Collect));

        Assert.Contains("gap", e.Message);
    }

    [Fact]
    public async Task WAL_streamed_under_another_segment_s_name_is_refused_before_it_is_handed_on()
    {
        var wrong = NameA.Next();
        var assembler = new WalSegmentAssembler(wrong, SystemId);

        var e = await Assert.ThrowsAsync<OperationFailedException>(() => SendAsync(assembler, wrong.StartLsn, SegmentA));

        Assert.StartsWith("streamed WAL does not check out, refusing to archive it:", e.Message);
        Assert.Contains($"starts with the page of WAL position {NameA.StartLsn}, but its name says {wrong.StartLsn}", e.Message);
        Assert.Empty(_completed);
    }

    [Fact]
    public async Task WAL_of_another_system_is_refused_naming_both_systems()
    {
        var assembler = new WalSegmentAssembler(NameA, "7301234567890123456");

        var e = await Assert.ThrowsAsync<OperationFailedException>(() => SendAsync(assembler, NameA.StartLsn, SegmentA));

        Assert.Contains($"written by database system {SystemId}, but the repository belongs to system 7301234567890123456", e.Message);
        Assert.Empty(_completed);
    }
}
