using System.Globalization;
using PgBackup.Repository.Catalog;

namespace PgBackup.Restore;

/// <summary>
/// Makes a restored data directory start standalone. A backup taken from a Patroni replica carries
/// that member's postgresql.conf (its port, socket directory, hba_file path, primary_conninfo) and
/// standby.signal; overrides go into postgresql.auto.conf, which PostgreSQL reads last, so the
/// backup's own files stay byte-identical (pg_verifybackup still passes).
/// </summary>
internal static class RecoveryConfiguration
{
    public static void Apply(string pgData, BackupManifest backup, int port, IEnumerable<string> extraSettings)
    {
        File.Delete(Path.Combine(pgData, "standby.signal"));
        var settings = new List<string>
        {
            "",
            $"# Added by pgbackup restore of backup {backup.Id} (cluster {backup.Cluster}, from {backup.Source.Member}) at {DateTimeOffset.UtcNow:u}.",
            "# The restored server runs standalone: no upstream, its own port, and no archiving into the source's archive.",
            "primary_conninfo = ''",
            "primary_slot_name = ''",
            "port = " + port.ToString(CultureInfo.InvariantCulture),
            "listen_addresses = 'localhost'",
            "unix_socket_directories = '/tmp'",
            $"hba_file = '{Quote(Path.Combine(pgData, "pg_hba.conf"))}'",
            $"ident_file = '{Quote(Path.Combine(pgData, "pg_ident.conf"))}'",
            "archive_mode = 'off'",
        };
        settings.AddRange(extraSettings);
        RestoreCompletion.WriteDurably(Path.Combine(pgData, "postgresql.auto.conf"), string.Join("\n", settings) + "\n", append: true);
    }

    public static string Quote(string value) => value.Replace("'", "''", StringComparison.Ordinal);
}
