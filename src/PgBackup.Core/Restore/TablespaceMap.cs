using PgBackup.Errors;
using PgBackup.Repository.Catalog;

namespace PgBackup.Restore;

/// <summary>tablespace_map, which PostgreSQL reads at startup to recreate pg_tblspc's links: it points at the directories tablespaces were restored into.</summary>
internal static class TablespaceMap
{
    public static void Write(RestoreTarget target, BackupManifest backup)
    {
        if (backup.Tablespaces.Count == 0) return;
        var lines = backup.Tablespaces.Select(t => $"{t.Oid} {Escape(target.TablespaceDirs[t.Oid])}");
        RestoreCompletion.WriteDurably(Path.Combine(target.PgData, "tablespace_map"), string.Join("\n", lines) + "\n");
    }

    /// <summary>Backslashes escaped the way PostgreSQL reads them back; a line break cannot be written at all.</summary>
    private static string Escape(string path)
    {
        if (path.Contains('\n') || path.Contains('\r'))
            throw new UsageException($"tablespace directory '{path}' contains a line break; choose another directory");
        return path.Replace("\\", "\\\\", StringComparison.Ordinal);
    }
}
