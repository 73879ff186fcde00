using PgBackup.Backup;
using PgBackup.Errors;
using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;
using PgBackup.Tests.Unit.Repository;
using PgBackup.Repository.Catalog;

namespace PgBackup.Tests.Unit.Backup;

/// <summary>
/// The proof a backup gives before it is listed, on the captured segments records-A and records-B
/// (PostgreSQL 15, timeline 2) stored as a backup's own WAL in a local-directory repository.
/// </summary>
public sealed class BackupWalProofFacts : IDisposable
{
    private const long SegmentSize = 16 << 20;
    private const string Id = "20261202T000000Z";

    private readonly TempDirectory _dir = new();
    private readonly BackupRepository _repository;
    private readonly byte[] _a = Sample("records-A.zst");
    private readonly byte[] _b = Sample("records-B.zst");
    private readonly WalPageHeader _header;
    private readonly TimelineHistory _history = TimelineHistory.Parse(2, File.ReadLines(SamplePath("timeline-switch.history")).First());
    private readonly List<WalRecord> _records = [];

    public BackupWalProofFacts()
    {
        _repository = new BackupRepository(new LocalDirectoryObjectStore(_dir.Path), new RepositoryLayout("proof"), new RepositoryCodec());
        _header = WalPageHeader.TryRead(_a)!.Value;
        var reader = new WalRecordReader(SegmentSize, _header.PageAddress, onRecord: _records.Add);
        using var stream = new WalRecordReaderStream(reader);
        stream.Write(_a);
        stream.Write(_b);
    }

    private static string SamplePath(string name) => Path.Combine(TestData.RepoRoot(), "tests", "PgBackup.Tests.Unit", "Postgres", "Samples", "wal", name);

    private static byte[] Sample(string name) => new ZstdSharp.Decompressor().Unwrap(File.ReadAllBytes(SamplePath(name))).ToArray();

    private WalRecord Spanning => _records.Single(r => r.Start < _header.PageAddress + (ulong)SegmentSize && r.End > _header.PageAddress + (ulong)SegmentSize);

    private async Task<IReadOnlyList<EncodedObject>> StoreAsync(params byte[][] segments)
    {
        var stored = new List<EncodedObject>();
        foreach (var segment in segments)
        {
            var name = new WalSegmentName(_header.Timeline, WalPageHeader.TryRead(segment)!.Value.PageAddress.Value / SegmentSize, SegmentSize);
            stored.Add(await BackupObjects.PutEncodedAsync(_repository, Id, _repository.Layout.BackupWal(Id, name.FileName), new MemoryStream(segment), CancellationToken.None));
        }
        return stored;
    }

    private Task<Lsn> ProveAsync(IReadOnlyList<EncodedObject> wal, Lsn start, Lsn end) =>
        BackupWalProof.CheckAsync(_repository, Id, wal, start, end, _history, _header.SystemIdentifier.ToString(System.Globalization.CultureInfo.InvariantCulture), SegmentSize, CancellationToken.None);

    [Fact]
    public async Task WAL_from_a_record_at_the_start_to_a_record_ending_at_the_end_proves_the_backup_and_names_that_last_record()
    {
        var wal = await StoreAsync(_a, _b);

        Assert.Equal(Spanning.Start, await ProveAsync(wal, _records[10].Start, Spanning.End));
    }

    [Fact]
    public async Task An_end_inside_a_record_is_refused()
    {
        var wal = await StoreAsync(_a, _b);

        var e = await Assert.ThrowsAsync<OperationFailedException>(() => ProveAsync(wal, _records[10].Start, Spanning.End - 8));

        Assert.Contains("no WAL record ends at its end LSN", e.Message);
        Assert.Contains("the backup is discarded", e.Message);
    }

    [Fact]
    public async Task A_start_that_no_record_begins_at_is_refused()
    {
        var wal = await StoreAsync(_a, _b);

        var start = _records[10].Start + 8;
        var e = await Assert.ThrowsAsync<OperationFailedException>(() => ProveAsync(wal, start, Spanning.End));

        Assert.Contains($"WAL at {start}:", e.Message);
        Assert.Contains("the backup is discarded", e.Message);
    }

    [Fact]
    public async Task The_first_segment_as_a_backup_stores_it_keeps_its_first_page_and_everything_from_the_start_and_still_proves_the_backup()
    {
        var start = _records[500].Start;
        var first = new WalSegmentName(_header.Timeline, _header.PageAddress.Value / SegmentSize, SegmentSize);
        var stored = await BackupWalCollector.WithoutPagesBeforeAsync(start, first, new MemoryStream(_a), CancellationToken.None);
        var pageSize = (int)_header.PageSize;
        var startPage = (int)(start - _header.PageAddress) / pageSize * pageSize;

        Assert.Equal(_a.AsSpan(0, pageSize), stored.AsSpan(0, pageSize));
        Assert.Equal(-1, stored.AsSpan(pageSize, startPage - pageSize).IndexOfAnyExcept((byte)0));
        Assert.Equal(_a.AsSpan(startPage), stored.AsSpan(startPage));
        Assert.Equal(Spanning.Start, await ProveAsync(await StoreAsync(stored, _b), start, Spanning.End));
    }

    [Fact]
    public async Task A_start_on_the_first_page_leaves_the_segment_as_it_is()
    {
        var first = new WalSegmentName(_header.Timeline, _header.PageAddress.Value / SegmentSize, SegmentSize);

        Assert.Equal(_a, await BackupWalCollector.WithoutPagesBeforeAsync(_records[0].Start, first, new MemoryStream(_a), CancellationToken.None));
        Assert.Equal(Spanning.Start, await ProveAsync(await StoreAsync(_a, _b), _records[0].Start, Spanning.End));
    }

    [Fact]
    public async Task WAL_missing_its_first_or_last_segment_is_refused()
    {
        var onlyB = await Assert.ThrowsAsync<OperationFailedException>(async () => await ProveAsync(await StoreAsync(_b), _records[10].Start, Spanning.End));
        var onlyA = await Assert.ThrowsAsync<OperationFailedException>(async () => await ProveAsync(await StoreAsync(_a), _records[10].Start, Spanning.End));

        Assert.Contains("is not stored with it", onlyB.Message);
        Assert.Contains($"inside the record at {Spanning.Start}", onlyA.Message);
    }

    [Fact]
    public async Task A_damaged_record_between_start_and_end_is_named()
    {
        var victim = _records[500];
        _a[(int)(victim.Start - _header.PageAddress) + 4000] ^= 0x20;
        var wal = await StoreAsync(_a, _b);

        var e = await Assert.ThrowsAsync<OperationFailedException>(() => ProveAsync(wal, _records[10].Start, Spanning.End));

        Assert.Contains($"WAL at {victim.Start}: CRC-32C mismatch", e.Message);
    }

    public void Dispose()
    {
        _repository.Dispose();
        _dir.Dispose();
    }
}
