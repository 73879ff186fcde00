using Microsoft.Extensions.Logging;
using PgBackup.Errors;
using PgBackup.Formats;
using PgBackup.Policies;
using PgBackup.Postgres.Replication;

namespace PgBackup.Backup;

/// <summary>
/// A source asked to compress (backup.compression: server) that cannot — PostgreSQL before 15 has
/// no BASE_BACKUP COMPRESSION, and a build without zstd refuses it — gets client-side compression
/// instead, with one log line saying why: never a failed backup.
/// </summary>
internal static class SourceCompressionFallback
{
    /// <summary>server_version_num of the first PostgreSQL whose BASE_BACKUP takes COMPRESSION.</summary>
    public const int FirstCompressingVersionNum = 150000;

    /// <summary>Starts BASE_BACKUP in <paramref name="format"/>, or in client chunks where the source cannot compress; returns the format used.</summary>
    public static async Task<(IBackupFormat Format, BaseBackupStream Stream)> StartAsync(
        SourceSession source, string backupId, IBackupFormat format, int level, int serverWorkers, string member, ILogger log, CancellationToken ct)
    {
        if (format.SourceCompression(level, serverWorkers).Method is not null && VersionCannotCompress(source.ServerVersionNum) is { } tooOld)
            format = Fallback(log, member, tooOld);
        try
        {
            return (format, await source.StartBaseBackupAsync(backupId, format.SourceCompression(level, serverWorkers), ct).ConfigureAwait(false));
        }
        catch (OperationFailedException e) when (format.SourceCompression(level, serverWorkers).Method is { } method
            && e.InnerException is PostgresServerError error && BuildCannotCompress(error, method) is { } refused)
        {
            // The server refused before sending anything and the connection is ready again.
            format = Fallback(log, member, refused);
            return (format, await source.StartBaseBackupAsync(backupId, format.SourceCompression(level, serverWorkers), ct).ConfigureAwait(false));
        }
    }

    internal static string? VersionCannotCompress(int serverVersionNum) =>
        serverVersionNum < FirstCompressingVersionNum
            ? $"it runs PostgreSQL {serverVersionNum / 10000}, whose BASE_BACKUP cannot compress (15 and later can)"
            : null;

    /// <summary>
    /// A build without the method fails option parsing ("invalid compression specification: this
    /// build does not support compression with ZSTD", 42601) or the sink (0A000, "zstd compression
    /// is not supported by this build"); both before any data, whatever the server's lc_messages.
    /// </summary>
    internal static string? BuildCannotCompress(PostgresServerError error, string method) =>
        error.SqlState is "0A000" || (error.SqlState is "42601" && error.MessageText.Contains(method, StringComparison.OrdinalIgnoreCase))
            ? $"its build refused {method} compression ({error.MessageText})"
            : null;

    private static IBackupFormat Fallback(ILogger log, string member, string why)
    {
        log.LogWarning("The source {Member} cannot compress the backup: {Reason}; compressing on this host instead (as backup.compression: client)", member, why);
        return BackupFormats.For(CompressionSite.Client);
    }
}
