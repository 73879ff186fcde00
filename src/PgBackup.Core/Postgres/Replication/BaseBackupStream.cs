using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using PgBackup.Postgres.Replication.Internal;

namespace PgBackup.Postgres.Replication;

/// <summary>
/// A running BASE_BACKUP. From PostgreSQL 15 the server sends a start result set, the tablespace
/// list, then ONE CopyOut stream carrying every archive ('n' new archive, 'd' data, 'p' progress,
/// 'm' manifest), CopyDone, and an end result set. This class walks that stream: <see cref="NextArchiveAsync"/>
/// moves from archive to archive, and each archive's Content reads 'd' payloads straight into the
/// caller's buffer. Before 15 the archives come in separate CopyOut streams (.PerTablespace.cs),
/// presented as the same archives, so nothing above this class knows the difference.
/// </summary>
public sealed partial class BaseBackupStream : IAsyncDisposable
{
    private readonly ReplicationConnector _connector;
    private BaseBackupArchive? _pendingArchive;
    private int _archiveNumber;
    private int _remainingInMessage;
    private bool _archiveEnded = true;
    private bool _copyDone;
    private bool _finished;
    private Lsn _endLsn;
    private uint _endTimeline;
    private long _bytesReceived;
    private long _bytesDoneReportedByServer;
    private readonly bool _perTablespace;

    private BaseBackupStream(ReplicationConnector connector, bool perTablespace, Lsn startLsn, uint startTimeline, IReadOnlyList<BaseBackupTablespace> tablespaces)
    {
        _connector = connector;
        _perTablespace = perTablespace;
        StartLsn = startLsn;
        StartTimeline = startTimeline;
        Tablespaces = tablespaces;
        TotalEstimate = tablespaces.All(t => t.SizeKiB is not null) ? tablespaces.Sum(t => t.SizeKiB!.Value) * 1024 : null;
    }

    public Lsn StartLsn { get; }
    public uint StartTimeline { get; }
    public IReadOnlyList<BaseBackupTablespace> Tablespaces { get; }

    public Lsn EndLsn => _finished ? _endLsn : throw new InvalidOperationException("EndLsn is known once NextArchiveAsync has returned null");
    public uint EndTimeline => _finished ? _endTimeline : throw new InvalidOperationException("EndTimeline is known once NextArchiveAsync has returned null");

    /// <summary>Archive bytes received so far (may be read from another thread).</summary>
    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    /// <summary>The server's size estimate from the tablespace list (requires Progress); null without it.</summary>
    public long? TotalEstimate { get; }

    /// <summary>
    /// Bytes the server reports having sent ('p' messages; uncompressed, so it can differ from BytesReceived).
    /// Before 15 there are no 'p' messages, and no compression either: the bytes received are that count.
    /// </summary>
    public long BytesDoneReportedByServer => _perTablespace ? BytesReceived : Volatile.Read(ref _bytesDoneReportedByServer);

    internal static async Task<BaseBackupStream> StartAsync(ReplicationConnector connector, int serverVersionNum, BaseBackupOptions options, CancellationToken ct)
    {
        connector.BeginCommand("BASE_BACKUP");
        await connector.SendQueryAsync(options.ToCommand(serverVersionNum), ct).ConfigureAwait(false);
        var start = await connector.ReadResultSetAsync(ct).ConfigureAwait(false);
        var startRow = start.SingleRow("BASE_BACKUP");
        var spaces = await connector.ReadResultSetAsync(ct).ConfigureAwait(false);
        var tablespaces = spaces.Rows.Select(r => new BaseBackupTablespace(
            spaces.Int64(r, "spcoid") is { } oid ? checked((uint)oid) : null,
            spaces.Text(r, "spclocation"),
            spaces.Int64(r, "size"))).ToList();
        await connector.ExpectAsync(BackendMessageCode.CopyOutResponse, ct).ConfigureAwait(false);
        return new BaseBackupStream(connector, !ReplicationSyntax.IsParenthesized(serverVersionNum), start.Lsn(startRow, "recptr") ?? Lsn.Invalid, checked((uint)start.Int64(startRow, "tli")!.Value), tablespaces);
    }

    /// <summary>
    /// The next archive, or null when all were sent (then EndLsn/EndTimeline are set and the
    /// connection is ready for the next command). Unread content of the previous archive is skipped.
    /// </summary>
    public async ValueTask<BaseBackupArchive?> NextArchiveAsync(CancellationToken ct)
    {
        if (_finished)
            return null;
        while (!_archiveEnded)
        {
            await _connector.SkipPayloadAsync(_remainingInMessage, ct).ConfigureAwait(false);
            _remainingInMessage = 0;
            await ReadCopyMessageAsync(ct).ConfigureAwait(false);
        }
        if (_perTablespace)
            await NextCopyOutAsync(ct).ConfigureAwait(false);
        else
        {
            while (_pendingArchive is null && !_copyDone)
                await ReadCopyMessageAsync(ct).ConfigureAwait(false); // up to the first 'n'
        }
        if (_pendingArchive is { } archive)
        {
            _pendingArchive = null;
            _archiveEnded = false;
            return archive;
        }

        var end = await _connector.ReadResultSetAsync(ct).ConfigureAwait(false);
        var row = end.SingleRow("BASE_BACKUP");
        _endLsn = end.Lsn(row, "recptr") ?? Lsn.Invalid;
        _endTimeline = checked((uint)end.Int64(row, "tli")!.Value);
        await _connector.CompleteCommandAsync(ct).ConfigureAwait(false);
        _finished = true;
        return null;
    }

    /// <summary>Reads archive bytes for the content stream of archive number <paramref name="archiveNumber"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<int> ReadContentAsync(int archiveNumber, Memory<byte> destination, CancellationToken ct)
    {
        if (archiveNumber != _archiveNumber)
            throw new InvalidOperationException("this archive's content is gone: the base backup has moved on to the next archive");
        while (_remainingInMessage == 0)
        {
            if (destination.IsEmpty)
                return 0;
            if (_archiveEnded)
                return ReadTarTrailer(destination.Span);
            await ReadCopyMessageAsync(ct).ConfigureAwait(false);
        }
        var read = await _connector.ReadPayloadChunkAsync(destination[..Math.Min(destination.Length, _remainingInMessage)], ct).ConfigureAwait(false);
        _remainingInMessage -= read;
        Volatile.Write(ref _bytesReceived, _bytesReceived + read);
        return read;
    }

    /// <summary>Reads one message of the CopyOut stream; data messages are left in the socket for ReadContentAsync.</summary>
    private async ValueTask ReadCopyMessageAsync(CancellationToken ct)
    {
        if (_perTablespace)
        {
            await ReadPerTablespaceMessageAsync(ct).ConfigureAwait(false);
            return;
        }
        var header = await _connector.ReadHeaderAsync(ct).ConfigureAwait(false);
        if (header.Code == BackendMessageCode.CopyDone)
        {
            await _connector.SkipPayloadAsync(header.PayloadLength, ct).ConfigureAwait(false);
            _copyDone = _archiveEnded = true;
            _archiveNumber++;
            return;
        }
        if (header.Code != BackendMessageCode.CopyData || header.PayloadLength < 1)
            throw _connector.Failure(new ProtocolViolationException($"unexpected message '{header.Code}' in the base backup stream"));

        var kind = (char)(await _connector.ReadPayloadAsync(1, ct).ConfigureAwait(false)).Span[0];
        var length = header.PayloadLength - 1;
        switch (kind)
        {
            case BackendMessageCode.ArchiveData:
                _remainingInMessage = length;
                return;
            case BackendMessageCode.Progress:
                var progress = await _connector.ReadPayloadAsync(length, ct).ConfigureAwait(false);
                Volatile.Write(ref _bytesDoneReportedByServer, BinaryPrimitives.ReadInt64BigEndian(progress.Span));
                return;
            case BackendMessageCode.NewArchive:
                var fields = await _connector.ReadPayloadAsync(length, ct).ConfigureAwait(false);
                var (name, location) = ReadTwoCStrings(fields.Span);
                BeginArchive(name, location.Length > 0 ? location : null, isManifest: false);
                return;
            case BackendMessageCode.Manifest:
                await _connector.SkipPayloadAsync(length, ct).ConfigureAwait(false);
                BeginArchive(BaseBackupArchive.ManifestName, null, isManifest: true);
                return;
            default:
                throw _connector.Failure(new ProtocolViolationException($"unknown base backup message '{kind}'"));
        }
    }

    private void BeginArchive(string name, string? location, bool isManifest)
    {
        _archiveEnded = true;
        _archiveNumber++;
        _pendingArchive = new BaseBackupArchive(name, location, isManifest, new BaseBackupContentStream(this, _archiveNumber));
    }

    private static (string, string) ReadTwoCStrings(ReadOnlySpan<byte> span)
    {
        var first = span.IndexOf((byte)0);
        var rest = span[(first + 1)..];
        var second = rest.IndexOf((byte)0);
        return (Encoding.UTF8.GetString(span[..first]), Encoding.UTF8.GetString(rest[..Math.Max(second, 0)]));
    }

    /// <summary>Abandoning a backup midway leaves the server mid-COPY: the connection is closed, not reused.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_finished)
            await _connector.DisposeAsync().ConfigureAwait(false);
    }
}
