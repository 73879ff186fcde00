using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Storage;
using PgBackup.Tests.Unit.Repository;
using PgBackup.Tests.Unit.Retention;
using PgBackup.Wal;

namespace PgBackup.Tests.Unit.Wal;

/// <summary>The one loader of history files from a repository, fed with the history file captured after a switchover.</summary>
public sealed class ArchivedHistoryFacts : IDisposable
{
    private const uint Timeline = 3;
    private static readonly byte[] Captured = File.ReadAllBytes(Path.Combine(TestData.RepoRoot(), "tests", "PgBackup.Tests.Unit", "Postgres", "Samples", "wal", "timeline-switch.history"));

    private readonly TempDirectory _dir = new();
    private readonly BackupRepository _repository;

    public ArchivedHistoryFacts() => _repository = new BackupRepository(new LocalDirectoryObjectStore(_dir.Path), new RepositoryLayout("main"), new RepositoryCodec());

    public void Dispose()
    {
        _repository.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task The_archived_file_is_parsed_into_its_ancestors()
    {
        await _repository.Wal.PushHistoryAsync(Timeline, new MemoryStream(Captured));

        var history = await ArchivedHistory.LoadAsync(_repository, Timeline, default);

        Assert.Equal(Timeline, history!.Timeline);
        Assert.Equal([new TimelineHistoryEntry(1, Lsn.Parse("0/80000A0"), "no recovery target specified"), new TimelineHistoryEntry(2, Lsn.Parse("0/D0000A0"), "no recovery target specified")], history.Entries);
    }

    [Fact]
    public async Task Timeline_1_needs_no_file()
    {
        Assert.Same(TimelineHistory.ForFirstTimeline, await ArchivedHistory.LoadAsync(_repository, 1, default));
    }

    [Fact]
    public async Task A_file_neither_archived_nor_carried_by_a_backup_is_null()
    {
        Assert.Null(await ArchivedHistory.LoadAsync(_repository, Timeline, [await CarryingBackupAsync(timeline: 2)], default));
    }

    [Fact]
    public async Task Without_an_archive_a_backup_carrying_the_file_serves_it()
    {
        var backup = await CarryingBackupAsync(Timeline);

        Assert.Null(await ArchivedHistory.LoadAsync(_repository, Timeline, default));
        var history = await ArchivedHistory.LoadAsync(_repository, Timeline, [backup], default);

        Assert.Equal([1u, 2u], history!.Entries.Select(e => e.Timeline));
    }

    [Fact]
    public async Task A_damaged_file_is_a_format_error_not_a_missing_one()
    {
        await _repository.Wal.PushHistoryAsync(Timeline, new MemoryStream("1\tnot-an-lsn\tswitch\n"u8.ToArray()));

        await Assert.ThrowsAsync<FormatException>(() => ArchivedHistory.LoadAsync(_repository, Timeline, default));
    }

    /// <summary>A backup on <paramref name="timeline"/> that keeps its own copy of that timeline's history file, as backups do.</summary>
    private async Task<BackupManifest> CarryingBackupAsync(uint timeline)
    {
        var manifest = BackupSamples.Complete("20260101T000000Z", timeline, "0/E000028", DateTimeOffset.UnixEpoch).Manifest!;
        var stored = await BackupObjects.PutEncodedAsync(_repository, manifest.Id, _repository.Layout.BackupHistory(manifest.Id, timeline), new MemoryStream(Captured), default);
        return manifest with { Wal = [stored] };
    }
}
