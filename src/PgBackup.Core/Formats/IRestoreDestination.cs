namespace PgBackup.Formats;

/// <summary>Where a restore writes: the formats place files through it and never decide paths themselves.</summary>
public interface IRestoreDestination
{
    /// <summary>PGDATA and every tablespace directory.</summary>
    IEnumerable<string> Roots { get; }

    /// <summary>Where a backup path lands: under PGDATA or its tablespace's directory, never outside them.</summary>
    string PathOf(uint? tablespace, string relative);

    /// <summary>Whether <paramref name="path"/> is the restore's own bookkeeping, which --delta's cleanup leaves alone.</summary>
    bool IsOwnFile(string path);
}
