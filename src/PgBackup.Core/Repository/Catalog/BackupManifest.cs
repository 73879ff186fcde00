using System.Text.Json.Serialization;
using PgBackup.Postgres;

namespace PgBackup.Repository.Catalog;

/// <summary>
/// manifest.json of one backup (DESIGN.md "Repository format"). Written last: its presence is
/// the only mark that a backup is complete, so everything a restore needs is listed here.
/// </summary>
public sealed record BackupManifest
{
    public const int CurrentFormat = 1;

    /// <summary>The <see cref="Format"/> of a PostgreSQL 17+ native incremental, whose restore reads its whole chain.</summary>
    public const string NativeIncrementalFormat = "native-incremental";

    public int FormatVersion { get; init; } = CurrentFormat;
    public required string Id { get; init; }
    /// <summary>Full, or an incremental (diff, incr) whose unchanged blocks live in earlier backups; absent (full) in older manifests.</summary>
    public BackupType Type { get; init; } = BackupType.Full;
    /// <summary>The backup an incremental was compared with (diff: the newest full; incr: the newest backup); null for a full.</summary>
    public string? Reference { get; init; }
    public required string Cluster { get; init; }
    public required string SystemIdentifier { get; init; }
    public required int ServerVersionNum { get; init; }
    public required string ToolVersion { get; init; }
    public required BackupSource Source { get; init; }
    public required DateTimeOffset StartTime { get; init; }
    public required DateTimeOffset EndTime { get; init; }
    public required Lsn StartLsn { get; init; }
    public required Lsn EndLsn { get; init; }
    /// <summary>
    /// Start of the WAL record that ends at <see cref="EndLsn"/>, found when the backup proved its WAL.
    /// A restore to the backup's end stops after this record, so it needs no WAL beyond the backup's
    /// own; null in manifests written before backups proved themselves.
    /// </summary>
    public Lsn? LastRecordLsn { get; init; }
    public required uint Timeline { get; init; }
    /// <summary>wal_segment_size of the source, which names and sizes every WAL file.</summary>
    public required long WalSegmentSize { get; init; }
    /// <summary>
    /// How the data is stored ("client-chunks", "server-archives" or "native-incremental", see Formats/BackupFormats.cs);
    /// null in manifests written before it was recorded.
    /// </summary>
    public string? Format { get; init; }
    public required string Compression { get; init; }
    public required int CompressionLevel { get; init; }
    public required int ChunkSize { get; init; }
    /// <summary>Sum of the plain sizes of every file: what PGDATA will weigh after restore.</summary>
    public required long DatabaseSize { get; init; }
    /// <summary>Bytes the backup occupies in the repository (packs, WAL, PostgreSQL's manifest).</summary>
    public required long StoredSize { get; init; }
    public required IReadOnlyList<BackupTablespace> Tablespaces { get; init; }
    /// <summary>client-chunks: every file with its chunks. Empty for server-archives backups,
    /// whose file list and checksums are PostgreSQL's own backup_manifest.</summary>
    /// <exception cref="InvalidOperationException">This is a listing's header (<see cref="IsHeader"/>), which leaves the files out.</exception>
    public required IReadOnlyList<BackupFile> Files
    {
        get => FileList ?? throw new InvalidOperationException($"backup {Id}: a catalog listing holds manifest headers without their files; read the manifest with BackupCatalog.ReadManifestAsync");
        init => FileList = value;
    }
    // Private: the serializer sees only Files, so a header can never be written.
    private IReadOnlyList<BackupFile>? FileList { get; init; }

    /// <summary>
    /// Whether this is a header as <see cref="BackupCatalog.ListAsync"/> returns it: everything but the file
    /// list, which for a cluster of many files weighs tens of MiB per backup and is needed only for the
    /// backup a command acts on, so that listing a repository of many backups costs one manifest's memory.
    /// </summary>
    [JsonIgnore] public bool IsHeader => FileList is null;

    /// <summary>This manifest without its file list: see <see cref="IsHeader"/>.</summary>
    public BackupManifest Header() => this with { FileList = null };
    /// <summary>server-archives: each tar archive as the source compressed it, cut into pieces stored in packs.</summary>
    /// <remarks>Absent from manifests of client-chunks backups; the source-generated reader passes null then.</remarks>
    public IReadOnlyList<BackupArchive> Archives { get => _archives; init => _archives = value ?? []; }
    private readonly IReadOnlyList<BackupArchive> _archives = [];
    /// <summary>Every pack a chunk points at: this backup's own, and for an incremental those of earlier backups it reuses (<see cref="StoredObject.Backup"/>).</summary>
    public required IReadOnlyList<StoredObject> Packs { get; init; }

    /// <summary>
    /// The earlier backups this one reads: those whose packs it points at and, for a native incremental,
    /// its reference, whose files its INCREMENTAL files are rebuilt from (and through it the rest of the
    /// chain). What restoring it needs besides itself, and what expire must keep with it.
    /// </summary>
    public IEnumerable<string> DependsOn => Packs.Select(p => p.Backup).Append(Format == NativeIncrementalFormat ? Reference : null)
        .OfType<string>().Distinct(StringComparer.Ordinal);
    /// <summary>WAL segments from the start to the end LSN (the last zero-padded), so the backup restores on its own.</summary>
    public required IReadOnlyList<EncodedObject> Wal { get; init; }
    /// <summary>PostgreSQL's own backup_manifest, restored into PGDATA for pg_verifybackup.</summary>
    public required EncodedObject PostgresManifest { get; init; }
}

public sealed record BackupSource(string Member, string Host, int Port);

/// <summary>What a backup holds on its own: everything (full), or the blocks changed since the newest full (diff) or the newest backup (incr).</summary>
public enum BackupType
{
    [JsonStringEnumMemberName("full")] Full,
    [JsonStringEnumMemberName("diff")] Diff,
    [JsonStringEnumMemberName("incr")] Incr,
}

/// <summary>A backup type's name as manifests, the policy (backup.type) and --type spell it: the member's name in lower case.</summary>
public static class BackupTypeNames
{
    public static IReadOnlyList<string> All { get; } = Enum.GetValues<BackupType>().Select(Name).ToList();

    public static string Name(this BackupType type) => type.ToString().ToLowerInvariant();

    public static BackupType? Parse(string name) => Enum.GetValues<BackupType>().Cast<BackupType?>().FirstOrDefault(t => t!.Value.Name() == name);
}

/// <summary>
/// One tar archive of a server-compressed backup: one zstd stream (the source's own compression),
/// stored as consecutive pieces; restoring it means reading the pieces in order and untarring.
/// </summary>
/// <param name="Tablespace">null for the main data directory.</param>
public sealed record BackupArchive(uint? Tablespace, string Name, long StoredSize, IReadOnlyList<ChunkLocation> Pieces);

public sealed record BackupTablespace(uint Oid, string Location);

public enum BackupFileType { File, Directory, SymbolicLink }

/// <param name="Tablespace">null for the main data directory, else the tablespace OID; then
/// <paramref name="Path"/> is relative to the tablespace location.</param>
/// <param name="Sha256">Hex SHA-256 of the plain content (files only).</param>
public sealed record BackupFile(
    uint? Tablespace,
    string Path,
    BackupFileType Type,
    long Size,
    int Mode,
    DateTimeOffset ModifiedTime,
    string? Sha256,
    string? LinkTarget,
    IReadOnlyList<ChunkLocation> Chunks);

/// <summary>
/// Where one compressed chunk of a file lives: an independent zstd frame at <paramref name="Offset"/>
/// in pack number <paramref name="Pack"/> (an index into <see cref="BackupManifest.Packs"/>, which
/// keeps the manifest small for databases with millions of chunks).
/// </summary>
/// <param name="Sha256">SHA-256 of the stored bytes, for pieces of server-compressed archives: their zstd
/// stream carries no checksum of its own (chunks do: every chunk frame has one).</param>
/// <param name="PlainSha256">SHA-256 of the chunk's plain content (chunks only): the block map an incremental
/// compares the source's blocks with. Absent in chunks written before incrementals existed.</param>
public sealed record ChunkLocation(int Pack, long Offset, int StoredLength, int PlainLength, string? Sha256 = null, string? PlainSha256 = null);

/// <summary>
/// An object of the backup with its size and the SHA-256 of its stored bytes. <paramref name="Key"/>
/// is relative to the prefix of the backup that stored it, so a repository can be copied under another root.
/// </summary>
/// <param name="Backup">The earlier backup that stored this pack, for packs an incremental reuses; null for the backup's own.</param>
public sealed record StoredObject(string Key, long Size, string Sha256, string? Backup = null);

/// <summary>
/// A whole object encoded by the repository codec (WAL segment, PostgreSQL's manifest): its size
/// as stored and the SHA-256 of its plain content, checked after decoding. Key as in <see cref="StoredObject"/>.
/// </summary>
public sealed record EncodedObject(string Key, long StoredSize, string PlainSha256)
{
    /// <summary>The file name the object restores to, e.g. a WAL segment's 24-hex name.</summary>
    public string FileName => System.IO.Path.GetFileName(Key).Replace(".zst", "", StringComparison.Ordinal);
}

[JsonSourceGenerationOptions(WriteIndented = false, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    // A damaged document is a JsonException (one named error), never a silently different manifest.
    // (Constructor parameters stay optional: manifests omit null members, and old ones lack newer ones; ManifestConsistency checks what must be there.)
    AllowDuplicateProperties = false, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(BackupManifest))]
[JsonSerializable(typeof(BackupLease))]
internal sealed partial class BackupManifestJson : JsonSerializerContext;
