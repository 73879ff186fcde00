namespace PgBackup.Postgres.Replication;

/// <summary>A tablespace the backup covers; the main data directory has no OID and no location.</summary>
public sealed record BaseBackupTablespace(uint? Oid, string? Location, long? SizeKiB);

/// <summary>
/// One archive of a base backup: base.tar (or base.tar.zst...), one tar per tablespace, and last
/// the backup_manifest. <see cref="Content"/> yields exactly this archive's bytes and ends with it;
/// it stops working once the next archive is requested.
/// </summary>
public sealed class BaseBackupArchive
{
    internal BaseBackupArchive(string name, string? tablespaceLocation, bool isManifest, Stream content)
    {
        Name = name;
        TablespaceLocation = tablespaceLocation;
        IsManifest = isManifest;
        Content = content;
    }

    public const string ManifestName = "backup_manifest";

    public string Name { get; }

    /// <summary>The tablespace directory on the server; null for the main data directory and the manifest.</summary>
    public string? TablespaceLocation { get; }

    public bool IsManifest { get; }

    public Stream Content { get; }
}
