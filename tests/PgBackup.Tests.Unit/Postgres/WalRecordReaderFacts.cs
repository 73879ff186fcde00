using PgBackup.Postgres;

namespace PgBackup.Tests.Unit.Postgres;

/// <summary>
/// The WAL record reader on segments captured from the sandbox (scripts/sandbox/capture-wal-samples.sh):
/// records-A and records-B are consecutive PostgreSQL 15 segments of 8000-byte logical messages (every
/// record spans pages, one spans the segment boundary, B ends with a segment switch); timeline-switch
/// is the first segment of a timeline after a switchover, whose first page was written on its parent.
/// </summary>
public sealed class WalRecordReaderFacts
{
    private const long SegmentSize = 16 << 20;
    private static readonly Lsn SegmentA = WalPageHeader.TryRead(Sample("records-A.zst"))!.Value.PageAddress;
    private static readonly Lsn SegmentB = SegmentA + (ulong)SegmentSize;

    private static byte[] Sample(string name) =>
        new ZstdSharp.Decompressor().Unwrap(File.ReadAllBytes(Path.Combine(TestData.RepoRoot(), "tests", "PgBackup.Tests.Unit", "Postgres", "Samples", "wal", name))).ToArray();

    private static (byte[] Segment, Lsn Start, TimelineHistory History) TimelineSwitch()
    {
        var segment = Sample("timeline-switch.zst");
        var header = WalPageHeader.TryRead(segment)!.Value;
        var history = File.ReadAllText(Path.Combine(TestData.RepoRoot(), "tests", "PgBackup.Tests.Unit", "Postgres", "Samples", "wal", "timeline-switch.history"));
        return (segment, header.PageAddress, TimelineHistory.Parse(header.Timeline + 1, history));
    }

    private static ulong SystemIdentifier(byte[] segment) => WalPageHeader.TryRead(segment)!.Value.SystemIdentifier;

    private static void Read(WalRecordReader reader, params byte[][] segments)
    {
        using var stream = new WalRecordReaderStream(reader);
        foreach (var segment in segments)
            stream.Write(segment);
    }

    private static (WalRecordReader Reader, List<WalRecord> Records) ReadAll(Lsn first, Func<uint, Lsn, string?>? timelines, Lsn? stopAfter, params byte[][] segments)
    {
        var records = new List<WalRecord>();
        var reader = new WalRecordReader(SegmentSize, first, SystemIdentifier(segments[0]), timelines, stopAfter, records.Add);
        Read(reader, segments);
        return (reader, records);
    }

    [Fact]
    public void Reading_from_a_first_record_skips_the_pages_before_it_unread_and_checks_every_record_after_it()
    {
        var a = Sample("records-A.zst");
        var (_, all) = ReadAll(SegmentA, null, null, a);
        var from = all[700];
        var page = (int)(from.Start - SegmentA) / 8192 * 8192;
        a.AsSpan(8192, page - 8192).Fill(0xEE); // neither zeros nor WAL: read, they would fail
        var records = new List<WalRecord>();

        Read(new WalRecordReader(SegmentSize, SegmentA, SystemIdentifier(a), firstRecord: from.Start, onRecord: records.Add), a);

        Assert.Equal(all.SkipWhile(r => r.Start < from.Start), records);
    }

    [Fact]
    public void Reading_from_a_first_record_still_checks_the_segments_long_header()
    {
        var a = Sample("records-A.zst");
        var (_, all) = ReadAll(SegmentA, null, null, a);

        var e = Assert.Throws<WalFormatException>(() => Read(new WalRecordReader(SegmentSize, SegmentA, SystemIdentifier(a) + 1, firstRecord: all[700].Start), a));

        Assert.Contains("written by database system", e.Message);
    }

    [Fact]
    public void Records_of_consecutive_segments_check_out_across_pages_and_the_segment_boundary()
    {
        var (reader, records) = ReadAll(SegmentA, null, null, Sample("records-A.zst"), Sample("records-B.zst"));

        Assert.True(records.Count > 2000);
        Assert.Contains(records, r => r.Start < SegmentB && r.End > SegmentB);
        Assert.All(records.Zip(records.Skip(1)), pair => Assert.Equal(pair.First.Start, pair.Second.Previous));
        Assert.All(records.Zip(records.Skip(1)), pair => Assert.True(pair.Second.Start >= pair.First.End));
        Assert.True(records[^1].IsSegmentSwitch);
        Assert.Equal(SegmentB + (ulong)SegmentSize, records[^1].End);
        Assert.Null(reader.Incomplete);
        Assert.False(reader.EndOfWal);
    }

    [Fact]
    public void A_segment_read_alone_skips_the_record_it_begins_in_the_middle_of()
    {
        var a = ReadAll(SegmentA, null, null, Sample("records-A.zst"), Sample("records-B.zst")).Records;
        var spanning = a.Single(r => r.Start < SegmentB && r.End > SegmentB);

        var b = ReadAll(SegmentB, null, null, Sample("records-B.zst")).Records;

        Assert.Equal(spanning.End, b[0].Start);
        Assert.Equal(a.SkipWhile(r => r.Start < spanning.End).Select(r => r.Start), b.Select(r => r.Start));
    }

    [Fact]
    public void A_flipped_byte_inside_a_record_fails_its_crc_naming_the_record()
    {
        var a = Sample("records-A.zst");
        var records = ReadAll(SegmentA, null, null, a).Records;
        var victim = records[100];
        a[(int)(victim.Start.Value - SegmentA.Value) + 4000] ^= 0x01;

        var e = Assert.Throws<WalFormatException>(() => ReadAll(SegmentA, null, null, a));

        Assert.Contains($"WAL at {victim.Start}", e.Message);
        Assert.Contains("CRC-32C mismatch", e.Message);
    }

    [Fact]
    public void A_flipped_page_address_is_named_as_a_misplaced_page()
    {
        var a = Sample("records-A.zst");
        a[8192 * 7 + 9] ^= 0x10; // xlp_pageaddr of the 8th page

        var e = Assert.Throws<WalFormatException>(() => ReadAll(SegmentA, null, null, a));

        Assert.Contains($"WAL at {SegmentA + 8192 * 7}", e.Message);
        Assert.Contains("recycled, misplaced or damaged", e.Message);
    }

    [Fact]
    public void WAL_torn_at_a_page_boundary_ends_inside_the_record_that_was_cut()
    {
        var a = Sample("records-A.zst");
        Array.Clear(a, 8192 * 20, a.Length - 8192 * 20);

        var (reader, records) = ReadAll(SegmentA, null, null, a);

        Assert.True(reader.EndOfWal);
        Assert.NotNull(reader.Incomplete);
        Assert.True(records[^1].End <= SegmentA + 8192 * 20);
        Assert.Equal(records[^1].End, reader.Incomplete);
    }

    [Fact]
    public void A_different_system_identifier_is_refused()
    {
        var a = Sample("records-A.zst");
        var reader = new WalRecordReader(SegmentSize, SegmentA, SystemIdentifier(a) + 1);

        var e = Assert.Throws<WalFormatException>(() => Read(reader, a));

        Assert.Contains("written by database system", e.Message);
    }

    [Fact]
    public void Reading_stops_at_the_first_record_reaching_the_stop_point()
    {
        var all = ReadAll(SegmentA, null, null, Sample("records-A.zst")).Records;
        var stop = all[500].End;

        var (reader, records) = ReadAll(SegmentA, null, stop, Sample("records-A.zst"), Sample("records-B.zst"));

        Assert.True(reader.Done);
        Assert.Equal(all[500], records[^1]);
    }

    [Fact]
    public void A_new_timelines_first_segment_reads_along_its_history()
    {
        var (segment, start, history) = TimelineSwitch();

        var (reader, records) = ReadAll(start, history.PageMismatch, null, segment);

        Assert.Contains(records, r => r.End == history.Entries[^1].SwitchPoint);
        Assert.Contains(records, r => r.Start > start + 8192);
        Assert.True(records[^1].IsSegmentSwitch);
        Assert.False(reader.EndOfWal);
    }

    [Fact]
    public void Pages_that_disagree_with_the_timeline_history_are_refused()
    {
        var (segment, start, history) = TimelineSwitch();
        var parent = history.Entries[^1];
        var endedEarlier = new Lsn(parent.SwitchPoint.Value - 0x1000);
        var parentsHistory = TimelineHistory.Parse(parent.Timeline, string.Join("\n", history.Entries.SkipLast(1).Select(e => $"{e.Timeline}\t{e.SwitchPoint}\t{e.Reason}")));

        var onParent = Assert.Throws<WalFormatException>(() => ReadAll(start, parentsHistory.PageMismatch, null, segment));
        var leftEarlier = Assert.Throws<WalFormatException>(() => ReadAll(start, TimelineHistory.Parse(history.Timeline,
            string.Join("\n", history.Entries.Select(e => $"{e.Timeline}\t{(e == parent ? endedEarlier : e.SwitchPoint)}\t{e.Reason}"))).PageMismatch, null, segment));

        Assert.Contains($"timeline {history.Timeline}, which is not on the history of timeline {parent.Timeline}", onParent.Message);
        Assert.Contains($"past {endedEarlier}", leftEarlier.Message);
    }
}
