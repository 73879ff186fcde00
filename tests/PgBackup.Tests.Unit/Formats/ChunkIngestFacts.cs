using System.Formats.Tar;
using PgBackup.Formats;
using PgBackup.Formats.ClientChunks;
using PgBackup.Repository;
using PgBackup.Repository.Catalog;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Packs;
using PgBackup.Repository.Storage;
using PgBackup.Tests.Unit.Repository;
using PgBackup.Tests.Unit.Repository.Catalog;

namespace PgBackup.Tests.Unit.Formats;

/// <summary>
/// The client-chunks ingest against a real local repository: every chunk gets the hash of its
/// content, and with a reference's block map only chunks whose content differs are stored —
/// the rest point at the reference's packs, naming the backup that holds them; a restore checks
/// every chunk against that hash as it writes it.
/// </summary>
public sealed class ChunkIngestFacts : IDisposable
{
    private const int ChunkSize = 64 << 10;
    private const string FullId = "20261127T021500Z";
    private const string IncrId = "20261128T021500Z";
    private readonly TempDirectory _dir = new();
    private readonly BackupRepository _repository;

    public ChunkIngestFacts() => _repository = new BackupRepository(new LocalDirectoryObjectStore(_dir.Path), new RepositoryLayout("main"), new RepositoryCodec());

    public void Dispose()
    {
        _repository.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Every_chunk_of_a_full_records_the_hash_of_its_content()
    {
        var full = await IngestAsync(FullId, null, Content(seed: 1));
        var file = full.Files.Single(f => f.Path == "base/1/16384");
        Assert.Equal(4, file.Chunks.Count);
        Assert.All(file.Chunks, c => Assert.Equal(64, c.PlainSha256!.Length));
        Assert.All(full.Packs, p => Assert.Null(p.Backup));
    }

    [Fact]
    public async Task An_incremental_stores_only_the_changed_chunk_and_points_the_rest_at_its_reference()
    {
        var full = await IngestAsync(FullId, null, Content(seed: 1));
        var changed = Content(seed: 1);
        changed[ChunkSize * 2 + 10] ^= 0xFF; // one byte of the third chunk
        var incr = await IngestAsync(IncrId, full, changed);

        var file = incr.Files.Single(f => f.Path == "base/1/16384");
        var owners = file.Chunks.Select(c => incr.Packs[c.Pack].Backup).ToList();
        Assert.Equal([FullId, FullId, null, FullId], owners);
        Assert.Equal(full.Files.Single(f => f.Path == "base/1/16384").Chunks[0] with { Pack = 0 }, file.Chunks[0] with { Pack = 0 });
        // Own packs hold the one changed chunk: the stored bytes are those of a single chunk.
        Assert.Equal(file.Chunks[2].StoredLength, incr.Packs.Where(p => p.Backup is null).Sum(p => p.Size));
    }

    [Fact]
    public async Task An_incremental_of_unchanged_content_stores_no_chunk()
    {
        var full = await IngestAsync(FullId, null, Content(seed: 1));
        var incr = await IngestAsync(IncrId, full, Content(seed: 1));
        Assert.All(incr.Packs, p => Assert.Equal(FullId, p.Backup));
        Assert.Equal(full.Files.Select(f => f.Sha256), incr.Files.Select(f => f.Sha256));
    }

    [Fact]
    public async Task A_chunk_that_moved_to_another_offset_is_stored_again()
    {
        // Reuse is by place and content: the same bytes one chunk further along are a new chunk there.
        var full = await IngestAsync(FullId, null, Content(seed: 1));
        var shifted = new byte[ChunkSize].Concat(Content(seed: 1)).ToArray();
        var incr = await IngestAsync(IncrId, full, shifted);
        Assert.Null(incr.Packs[incr.Files.Single(f => f.Path == "base/1/16384").Chunks[1].Pack].Backup);
    }

    [Fact]
    public async Task A_restore_checks_each_chunk_against_the_hash_the_manifest_recorded_as_it_writes_it()
    {
        var full = await IngestAsync(FullId, null, Content(seed: 1));
        var restored = Path.Combine(_dir.Path, "restored");
        await RestoreAsync(full, restored);
        Assert.Equal(Content(seed: 1), await File.ReadAllBytesAsync(Path.Combine(restored, "base/1/16384")));

        // Intact packs, but a manifest whose record of the third chunk is another content's: refused, naming it.
        var file = full.Files.Single(f => f.Path == "base/1/16384");
        var misrecorded = full with
        {
            Files = full.Files.Select(f => f != file ? f : f with { Chunks = f.Chunks.Select((c, i) => i == 2 ? c with { PlainSha256 = new string('0', 64) } : c).ToList() }).ToList(),
        };
        var e = await Assert.ThrowsAsync<PgBackup.Errors.RepositoryException>(() => RestoreAsync(misrecorded, Path.Combine(_dir.Path, "misrecorded")));
        Assert.Contains($"the chunk at {2 * ChunkSize} of restored file base/1/16384 has SHA-256 {file.Chunks[2].PlainSha256}, the backup recorded {new string('0', 64)}", e.Message);
    }

    private async Task RestoreAsync(BackupManifest backup, string into)
    {
        var restore = new ChunkRestore(_repository, backup, new Directory(into), delta: false);
        await restore.PrepareAsync(default);
        await restore.WriteAsync(Path.Combine(into, "backup_manifest"), default);
    }

    private sealed class Directory(string root) : IRestoreDestination
    {
        public IEnumerable<string> Roots => [root];

        public string PathOf(uint? tablespace, string relative) => Path.Combine(root, relative);

        public bool IsOwnFile(string path) => false;
    }

    /// <summary>A data file of four chunks of incompressible content (the last one short).</summary>
    private static byte[] Content(int seed)
    {
        var bytes = new byte[ChunkSize * 3 + 1000];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Ingests a one-file tar as backup <paramref name="id"/> and returns its manifest content as a manifest would hold it.</summary>
    private async Task<BackupManifest> IngestAsync(string id, BackupManifest? reference, byte[] fileContent)
    {
        using var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "base/1/"));
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "base/1/16384") { DataStream = new MemoryStream(fileContent) });
        }
        tar.Position = 0;
        await using var packs = new PackWriter(_repository.Store, _repository.Layout, id, 1 << 20);
        BackupContent content;
        await using (var ingest = new ChunkIngest(packs, _repository, reference is null ? null : new BlockMap(_repository, reference), ChunkSize, 2, default))
        {
            await ingest.IngestAsync(tar, "base.tar", null, default);
            await ingest.CompleteAsync();
            await packs.CompleteAsync(default);
            content = ingest.Content(packs.StoredPacks, 0);
        }
        return ManifestSamples.ClientCompressed with
        {
            Id = id, Type = reference is null ? BackupType.Full : BackupType.Incr, Reference = reference?.Id, ChunkSize = ChunkSize,
            Files = content.Files, Packs = content.Packs,
        };
    }
}
