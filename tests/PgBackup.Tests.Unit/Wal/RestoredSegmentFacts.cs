using PgBackup.Postgres;
using PgBackup.Tests.Unit.Repository;
using PgBackup.Wal;

namespace PgBackup.Tests.Unit.Wal;

/// <summary>restore_command handing over what the restore put into pg_wal, on the captured segment records-A.</summary>
public sealed class RestoredSegmentFacts : IDisposable
{
    private const long SegmentSize = 16 << 20;
    private readonly TempDirectory _pgWal = new();
    private readonly byte[] _segment = new ZstdSharp.Decompressor().Unwrap(File.ReadAllBytes(
        Path.Combine(TestData.RepoRoot(), "tests", "PgBackup.Tests.Unit", "Postgres", "Samples", "wal", "records-A.zst"))).ToArray();

    private WalSegmentName Name
    {
        get
        {
            var header = WalPageHeader.TryRead(_segment)!.Value;
            return new WalSegmentName(header.Timeline, header.PageAddress.Value / SegmentSize, SegmentSize);
        }
    }

    private string Destination => Path.Combine(_pgWal.Path, "RECOVERYXLOG");

    public void Dispose() => _pgWal.Dispose();

    [Fact]
    public void The_segment_itself_is_moved_to_where_postgresql_asked_for_it()
    {
        File.WriteAllBytes(Path.Combine(_pgWal.Path, Name.FileName), _segment);

        Assert.True(RestoredSegment.TryTake(Name.FileName, Destination));

        Assert.Equal(_segment, File.ReadAllBytes(Destination));
        Assert.False(File.Exists(Path.Combine(_pgWal.Path, Name.FileName)));
    }

    [Fact]
    public void A_recycled_segment_under_a_later_name_is_left_alone()
    {
        var later = Name.Next().FileName;
        File.WriteAllBytes(Path.Combine(_pgWal.Path, later), _segment);

        Assert.False(RestoredSegment.TryTake(later, Destination));

        Assert.False(File.Exists(Destination));
        Assert.True(File.Exists(Path.Combine(_pgWal.Path, later)));
    }

    [Fact]
    public void A_short_file_or_none_is_not_taken()
    {
        File.WriteAllBytes(Path.Combine(_pgWal.Path, Name.FileName), _segment[..(8192 * 3)]);

        Assert.False(RestoredSegment.TryTake(Name.FileName, Destination));
        Assert.False(RestoredSegment.TryTake(Name.Next().FileName, Destination));
        Assert.False(RestoredSegment.TryTake("00000002.history", Destination));
    }
}
