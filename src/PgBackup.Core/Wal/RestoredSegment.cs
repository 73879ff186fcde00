using PgBackup.Postgres;

namespace PgBackup.Wal;

/// <summary>
/// A segment pg_wal already holds, handed to restore_command without the repository. In archive
/// recovery PostgreSQL asks restore_command first for every segment it replays, even one that
/// pg_wal holds: after a restart recovery re-reads segments the restore's spool already handed
/// over (PostgreSQL keeps those in pg_wal under their own names). Fetching them again would cost a
/// repository read each and need the repository's credentials. Only a file that is that segment
/// — whole, and its first page at that segment's address — is taken: pg_wal also holds segments
/// PostgreSQL recycled under future names, whose old content must never be passed on.
/// </summary>
public static class RestoredSegment
{
    /// <summary>Moves pg_wal's copy of <paramref name="fileName"/> to <paramref name="destination"/> (in pg_wal, as %p is); false when there is no such copy.</summary>
    public static bool TryTake(string fileName, string destination)
    {
        var source = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(destination))!, fileName);
        if (!IsWholeSegment(source, fileName))
            return false;
        File.Move(source, destination, overwrite: true);
        return true;
    }

    private static bool IsWholeSegment(string path, string fileName)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            Span<byte> first = stackalloc byte[64];
            file.ReadAtLeast(first, first.Length, throwOnEndOfStream: false);
            return WalPageHeader.TryRead(first) is { IsLong: true } header
                && header.SegmentSize > 0 && file.Length == header.SegmentSize
                && WalSegmentName.TryParse(fileName, out var name, header.SegmentSize)
                && header.PageAddress == name.StartLsn && header.Timeline <= name.Timeline;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or ArgumentException)
        {
            return false;
        }
    }
}
