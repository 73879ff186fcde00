using PgBackup.Postgres.Replication.Internal;

namespace PgBackup.Postgres.Replication;

/// <summary>
/// BASE_BACKUP before PostgreSQL 15: one CopyOut stream per tablespace, in the order of the
/// tablespace list (the main data directory last), of raw tar bytes without type bytes and without
/// the end-of-archive blocks (pg_basebackup 14 appends those itself); then, with MANIFEST, one more
/// CopyOut carrying backup_manifest. Each is presented as the archive 15 would have announced: base.tar
/// or &lt;oid&gt;.tar with the tablespace's location, ending with the tar trailer 15 sends.
/// </summary>
public sealed partial class BaseBackupStream
{
    /// <summary>Two zero blocks end a tar archive.</summary>
    private const int TarTrailerLength = 2 * 512;

    private int _nextTablespace;
    private bool _copyOutRead = true; // StartAsync has read the first CopyOutResponse
    private bool _manifestBegun;
    private int _trailerRemaining;

    /// <summary>Opens the next CopyOut as the next archive; leaves the end result set unread if none follows.</summary>
    private async ValueTask NextCopyOutAsync(CancellationToken ct)
    {
        _trailerRemaining = 0;
        if (!_copyOutRead)
        {
            var header = await _connector.ReadHeaderAsync(ct).ConfigureAwait(false);
            if (header.Code != BackendMessageCode.CopyOutResponse)
            {
                _connector.PushBack(header); // the end result set
                return;
            }
            await _connector.SkipPayloadAsync(header.PayloadLength, ct).ConfigureAwait(false);
        }
        _copyOutRead = false;
        if (_nextTablespace < Tablespaces.Count)
        {
            var tablespace = Tablespaces[_nextTablespace++];
            BeginArchive(tablespace.Oid is { } oid ? $"{oid}.tar" : "base.tar", tablespace.Location, isManifest: false);
            _trailerRemaining = TarTrailerLength;
        }
        else if (!_manifestBegun)
        {
            _manifestBegun = true;
            BeginArchive(BaseBackupArchive.ManifestName, null, isManifest: true);
        }
        else
            throw _connector.Failure(new ProtocolViolationException($"a CopyOut stream after the {Tablespaces.Count} tablespace(s) and the manifest"));
    }

    /// <summary>One message of a per-tablespace CopyOut: a CopyData payload is all archive bytes.</summary>
    private async ValueTask ReadPerTablespaceMessageAsync(CancellationToken ct)
    {
        var header = await _connector.ReadHeaderAsync(ct).ConfigureAwait(false);
        switch (header.Code)
        {
            case BackendMessageCode.CopyDone:
                await _connector.SkipPayloadAsync(header.PayloadLength, ct).ConfigureAwait(false);
                _archiveEnded = true;
                return;
            case BackendMessageCode.CopyData:
                _remainingInMessage = header.PayloadLength;
                return;
            default:
                throw _connector.Failure(new ProtocolViolationException($"unexpected message '{header.Code}' in the base backup stream"));
        }
    }

    /// <summary>The end-of-archive blocks after a tar's last CopyData (none from 15 on, where the server sends them).</summary>
    private int ReadTarTrailer(Span<byte> destination)
    {
        var length = Math.Min(destination.Length, _trailerRemaining);
        destination[..length].Clear();
        _trailerRemaining -= length;
        return length;
    }
}
