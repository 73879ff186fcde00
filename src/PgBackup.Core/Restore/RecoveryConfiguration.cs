using System.Globalization;
using PgBackup.Repository.Catalog;

namespace PgBackup.Restore;

/// <summary>
/// Makes a restored data directory start standalone, or join as a standby. A backup taken from a
/// Patroni replica carries that member's postgresql.conf (its port, socket directory, hba_file path,
/// primary_conninfo) and standby.signal; settings go into postgresql.auto.conf, which PostgreSQL reads
/// last, so the backup's own files stay byte-identical (pg_verifybackup still passes).
/// </summary>
internal static class RecoveryConfiguration
{
    /// <param name="port">The standalone server's port; a standby keeps its configuration's.</param>
    public static void Apply(string pgData, BackupManifest backup, RecoveryTarget target, int port, IEnumerable<string> recoverySettings)
    {
        var settings = new List<string>
        {
            "",
            $"# Added by pgbackup restore of backup {backup.Id} (cluster {backup.Cluster}, from {backup.Source.Member}) at {DateTimeOffset.UtcNow:u}.",
        };
        settings.AddRange(target.IsStandby ? StandbySettings() : StandaloneSettings(pgData, port));
        settings.AddRange(recoverySettings);
        RestoreCompletion.WriteDurably(Path.Combine(pgData, "postgresql.auto.conf"), string.Join("\n", settings) + "\n", append: true);
        File.Delete(Path.Combine(pgData, target.IsStandby ? "recovery.signal" : "standby.signal"));
        RestoreCompletion.WriteDurably(Path.Combine(pgData, target.IsStandby ? "standby.signal" : "recovery.signal"), "");
    }

    private static IEnumerable<string> StandaloneSettings(string pgData, int port) =>
    [
        "# The restored server runs standalone: no upstream, its own port, and no archiving into the source's archive.",
        "primary_conninfo = ''",
        "primary_slot_name = ''",
        "port = " + port.ToString(CultureInfo.InvariantCulture),
        "listen_addresses = 'localhost'",
        "unix_socket_directories = '/tmp'",
        $"hba_file = '{Quote(Path.Combine(pgData, "pg_hba.conf"))}'",
        $"ident_file = '{Quote(Path.Combine(pgData, "pg_ident.conf"))}'",
        "archive_mode = 'off'",
    ];

    // Nothing about its upstream, port or archiving: a line here would override what its manager
    // (Patroni) writes into postgresql.conf, and Patroni replaces recovery settings with its own anyway.
    private static IEnumerable<string> StandbySettings() =>
    [
        "# The restored server joins as a standby: primary_conninfo, port and the rest come from its own configuration (Patroni writes them).",
    ];

    public static string Quote(string value) => value.Replace("'", "''", StringComparison.Ordinal);
}
