using PgBackup.IO;

namespace PgBackup.Postgres.Replication;

/// <summary>
/// The read-only view of one archive's bytes. Reads go straight from the socket into the caller's
/// buffer. The synchronous Read blocks on the async path (sockets are async underneath); prefer
/// ReadAsync, e.g. TarReader.GetNextEntryAsync.
/// </summary>
internal sealed class BaseBackupContentStream(BaseBackupStream backup, int archiveNumber) : ForwardReadStream
{
    private bool _ended;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_ended)
            return 0;
        var read = await backup.ReadContentAsync(archiveNumber, buffer, cancellationToken).ConfigureAwait(false);
        _ended = read == 0 && !buffer.IsEmpty;
        return read;
    }
}
