using PgBackup.Errors;
using PgBackup.Postgres;
using PgBackup.Repository;

namespace PgBackup.Wal;

/// <summary>
/// `pgbackup wal-fetch` for restore_command: writes one archived file to the path PostgreSQL gave,
/// atomically (a temporary file beside it, renamed), so a failed fetch never leaves a torn file.
/// </summary>
public sealed class WalFetch(BackupRepository repository)
{
    /// <summary>True when the file was written; false when the repository does not hold it.</summary>
    public async Task<bool> FetchAsync(string fileName, string destination, CancellationToken ct)
    {
        if (!WalFileName.TryParse(fileName, out var name, WalSegmentSize.Minimum))
            throw new UsageException($"'{fileName}' is not a WAL segment, .partial or .history file name: restore_command must pass %f");
        if (name.Kind == WalFileKind.BackupHistory)
            return false; // never stored (see WalPush)

        var temporary = destination + ".pgbackup-" + Environment.ProcessId + ".tmp";
        try
        {
            bool found;
            await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                var segment = fileName[..Math.Min(fileName.Length, WalSegmentName.FileNameLength)];
                found = name.Kind switch
                {
                    WalFileKind.TimelineHistory => await repository.Wal.TryGetHistoryAsync(name.Timeline, file, ct).ConfigureAwait(false),
                    WalFileKind.PartialSegment => await repository.Wal.TryGetPartialAsync(name.Timeline, segment, file, ct).ConfigureAwait(false),
                    _ => await repository.Wal.TryGetSegmentAsync(name.Timeline, segment, file, ct).ConfigureAwait(false),
                };
                if (found) await file.FlushAsync(ct).ConfigureAwait(false);
            }
            if (found) File.Move(temporary, destination, overwrite: true);
            return found;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OperationFailedException($"cannot write {destination}: {e.Message}");
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
