using Microsoft.Extensions.Logging;
using PgBackup.Errors;
using PgBackup.Postgres;
using PgBackup.Repository;

namespace PgBackup.Wal;

/// <summary>
/// `pgbackup wal-push` for archive_command: stores one file from pg_wal. Segments and history files
/// are immutable (a repeat push of the same content succeeds, different content fails, naming
/// both); a segment is checked against its name and the repository's system before it is stored.
/// </summary>
public sealed class WalPush(BackupRepository repository, ILogger log)
{
    public async Task<string> PushAsync(string path, CancellationToken ct)
    {
        var fileName = Path.GetFileName(path);
        // The smallest segment size accepts every valid name; the segment's header gives the real size.
        if (!WalFileName.TryParse(fileName, out var name, WalSegmentSize.Minimum))
            throw new UsageException($"'{fileName}' is not a WAL segment, .partial, .history or .backup file name: archive_command must pass %p");
        byte[] content;
        try
        {
            content = await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {path}: {e.Message}");
        }

        using var stream = new MemoryStream(content, writable: false);
        switch (name.Kind)
        {
            case WalFileKind.TimelineHistory:
                return Describe(fileName, await repository.Wal.PushHistoryAsync(name.Timeline, stream, ct).ConfigureAwait(false));
            case WalFileKind.Segment:
                await CheckSegmentAsync(fileName, content, ct).ConfigureAwait(false);
                return Describe(fileName, await repository.Wal.PushSegmentAsync(name.Timeline, fileName, stream, ct).ConfigureAwait(false));
            case WalFileKind.PartialSegment:
                // The old timeline's last segment, archived by PostgreSQL after a promotion: replaceable, like the archiver's partials.
                await repository.Wal.PutPartialAsync(name.Timeline, fileName[..WalSegmentName.FileNameLength], stream, ct).ConfigureAwait(false);
                return $"{fileName}: stored";
            default:
                // A backup history file (pg_backup_stop) is informational; recovery never asks for it.
                log.LogInformation("{File} is a backup history file; not needed for recovery, not stored", fileName);
                return $"{fileName}: skipped (backup history file, not needed for recovery)";
        }
    }

    private async Task CheckSegmentAsync(string fileName, byte[] content, CancellationToken ct)
    {
        var systemIdentifier = (await RepositoryDescriptor.ReadAsync(repository.Store, repository.Layout, ct).ConfigureAwait(false))?.SystemIdentifier;
        var size = WalSegmentHeader.TryRead(content)?.SegmentSize ?? 0;
        var why = size != content.Length
            ? $"{fileName} is {content.Length} bytes, but its header says segments are {size} bytes: not a complete WAL segment"
            : WalSegmentHeader.Mismatch(content, WalSegmentName.Parse(fileName, size), systemIdentifier);
        if (why is not null)
            throw new OperationFailedException("refusing to archive: " + why);
    }

    private static string Describe(string fileName, WalPushResult result) =>
        result == WalPushResult.Archived ? $"{fileName}: archived" : $"{fileName}: already archived with the same content";
}
