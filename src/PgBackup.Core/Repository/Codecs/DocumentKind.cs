namespace PgBackup.Repository.Codecs;

/// <summary>
/// A kind of JSON document the repository holds, and how documents of that kind began before
/// they carried a checksum (see <see cref="DocumentChecksum"/>): the one thing that tells an old
/// document from a new one whose checksum field a flipped byte has made unrecognisable.
/// </summary>
public sealed record DocumentKind(string Name, string FirstMemberBeforeChecksums)
{
    public static readonly DocumentKind BackupManifest = new("backup manifest", "formatVersion");
    public static readonly DocumentKind RepositoryDescriptor = new("repository descriptor", "formatVersion");
    public static readonly DocumentKind BackupLease = new("backup lease", "host");
    public static readonly DocumentKind DrillReport = new("drill report", "cluster");
}
