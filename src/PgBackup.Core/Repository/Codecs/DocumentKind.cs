namespace PgBackup.Repository.Codecs;

/// <summary>
/// A kind of JSON document the repository holds, and how documents of that kind began before
/// they carried a checksum (see <see cref="DocumentChecksum"/>): the one thing that tells an old
/// document from a new one whose checksum field a flipped byte has made unrecognisable.
/// </summary>
/// <param name="Compressed">
/// Stored zstd-encoded (with its <see cref="ChecksumTrailer"/>) even in an unencrypted repository.
/// Only the backup manifest: it grows with the cluster's files and chunks (two SHA-256 per chunk,
/// 0.45 MB for a 1.5 GB pgbench cluster), and zstd makes it 8–20 times smaller (58 KB with chunk
/// hashes, 21 KB for a native incremental's; docs/benchmarks.md) — it was most of what an incremental
/// after a small change stored. <c>zstd -dc manifest.json</c> reads it. The small documents stay
/// plain for people and scripts.
/// </param>
public sealed record DocumentKind(string Name, string FirstMemberBeforeChecksums, bool Compressed = false)
{
    public static readonly DocumentKind BackupManifest = new("backup manifest", "formatVersion", Compressed: true);
    public static readonly DocumentKind RepositoryDescriptor = new("repository descriptor", "formatVersion");
    public static readonly DocumentKind BackupLease = new("backup lease", "host");
    public static readonly DocumentKind DrillReport = new("drill report", "cluster");
}
