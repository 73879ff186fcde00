using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using PgBackup.Errors;
using PgBackup.Postgres.Replication.Internal;

namespace PgBackup.Postgres.Replication;

/// <summary>
/// A running START_REPLICATION (CopyBoth). Keepalives are answered here, and a background timer
/// reports the caller's positions every <see cref="ReplicationConnectionSettings.StatusInterval"/>
/// so wal_sender_timeout never fires while the caller is busy with the data it got.
/// </summary>
public sealed class ReplicationStream : IAsyncDisposable
{
    private readonly ReplicationConnector _connector;
    private readonly XLogDataMessage _xlogData = new();
    private readonly CancellationTokenSource _stopStatus = new();
    private Task _statusLoop = Task.CompletedTask;
    private ulong _written, _flushed, _applied;
    private bool _ended;
    private TimelineEndedMessage? _endedBeforeStart;

    private ReplicationStream(ReplicationConnector connector) => _connector = connector;

    internal static async Task<ReplicationStream> StartAsync(ReplicationConnector connector, string? slotName, Lsn start, uint timeline, CancellationToken ct)
    {
        connector.BeginCommand("START_REPLICATION");
        var slot = slotName is null ? "" : $"SLOT {slotName} ";
        await connector.SendQueryAsync(string.Create(CultureInfo.InvariantCulture, $"START_REPLICATION {slot}PHYSICAL {start} TIMELINE {timeline}"), ct).ConfigureAwait(false);
        var stream = new ReplicationStream(connector);
        var header = await connector.ReadHeaderAsync(ct).ConfigureAwait(false);
        if (header.Code == BackendMessageCode.RowDescription)
        {
            // Started exactly at the end of a historic timeline: the server skips streaming and names the next one.
            connector.PushBack(header);
            stream._ended = true;
            stream._endedBeforeStart = await stream.ReadNextTimelineAsync(ct).ConfigureAwait(false);
            return stream;
        }
        connector.PushBack(header);
        await connector.ExpectAsync(BackendMessageCode.CopyBothResponse, ct).ConfigureAwait(false);
        stream._statusLoop = stream.SendStatusPeriodicallyAsync(connector.Settings.StatusInterval);
        return stream;
    }

    /// <summary>
    /// The next WAL data, or <see cref="TimelineEndedMessage"/> once the server has sent the whole
    /// requested timeline. The returned <see cref="XLogDataMessage"/> is valid until the next call.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReplicationMessage> ReadAsync(CancellationToken ct)
    {
        if (_endedBeforeStart is { } endedBeforeStart)
        {
            _endedBeforeStart = null;
            return endedBeforeStart;
        }
        if (_ended)
            throw new InvalidOperationException("the replication stream has ended");
        while (true)
        {
            var header = await _connector.ReadHeaderAsync(ct).ConfigureAwait(false);
            if (header.Code == BackendMessageCode.CopyDone)
            {
                await _connector.SkipPayloadAsync(header.PayloadLength, ct).ConfigureAwait(false);
                return await EndOfTimelineAsync(ct).ConfigureAwait(false);
            }
            if (header.Code != BackendMessageCode.CopyData || header.PayloadLength < 1)
                throw _connector.Failure(new ProtocolViolationException($"unexpected message '{header.Code}' while streaming WAL"));

            var payload = await _connector.ReadPayloadAsync(header.PayloadLength, ct).ConfigureAwait(false);
            var span = payload.Span;
            switch ((char)span[0])
            {
                case BackendMessageCode.XLogData when span.Length >= 25:
                    _xlogData.WalStart = new Lsn(BinaryPrimitives.ReadUInt64BigEndian(span[1..]));
                    _xlogData.WalEnd = new Lsn(BinaryPrimitives.ReadUInt64BigEndian(span[9..]));
                    // span[17..25] is the server's clock at sending, which nothing here needs.
                    _xlogData.Data = payload[25..];
                    return _xlogData;
                case BackendMessageCode.PrimaryKeepalive when span.Length >= 18:
                    if (span[17] != 0)
                        await SendStatusAsync(replyRequested: false, ct).ConfigureAwait(false);
                    continue;
                default:
                    throw _connector.Failure(new ProtocolViolationException($"unknown streaming message '{(char)span[0]}' ({span.Length} bytes)"));
            }
        }
    }

    /// <summary>Reports positions to the server (and remembers them for keepalive answers and the timer). The slot advances to <paramref name="flushed"/>.</summary>
    public ValueTask SendStandbyStatusAsync(Lsn written, Lsn flushed, Lsn applied, bool replyRequested, CancellationToken ct)
    {
        Volatile.Write(ref _written, written.Value);
        Volatile.Write(ref _flushed, flushed.Value);
        Volatile.Write(ref _applied, applied.Value);
        return SendStatusAsync(replyRequested, ct);
    }

    /// <summary>Stops streaming: CopyDone, then drain what the server still sends up to ReadyForQuery. The connection stays usable.</summary>
    public async Task CompleteAsync(CancellationToken ct)
    {
        if (_ended)
            return;
        await StopStatusLoopAsync().ConfigureAwait(false);
        _ended = true;
        await _connector.SendCopyDoneAsync(ct).ConfigureAwait(false);
        await _connector.CompleteCommandAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Disposing a stream that is still running closes the connection (the server is mid-COPY).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopStatusLoopAsync().ConfigureAwait(false);
        _stopStatus.Dispose();
        if (!_ended)
            await _connector.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>After the server's CopyDone: answer with ours, then read next_tli/next_tli_startpos and the command's end.</summary>
    private async ValueTask<ReplicationMessage> EndOfTimelineAsync(CancellationToken ct)
    {
        await StopStatusLoopAsync().ConfigureAwait(false);
        _ended = true;
        await _connector.SendCopyDoneAsync(ct).ConfigureAwait(false);
        return await ReadNextTimelineAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Reads the next_tli/next_tli_startpos result set and the end of the command.</summary>
    private async ValueTask<TimelineEndedMessage> ReadNextTimelineAsync(CancellationToken ct)
    {
        var header = await _connector.ReadHeaderAsync(ct).ConfigureAwait(false);
        _connector.PushBack(header);
        if (header.Code != BackendMessageCode.RowDescription)
        {
            await _connector.CompleteCommandAsync(ct).ConfigureAwait(false);
            throw new OperationFailedException($"{_connector.Settings.Endpoint} ended WAL streaming without naming a next timeline; restart streaming from the last received position");
        }
        var result = await _connector.ReadResultSetAsync(ct).ConfigureAwait(false);
        var row = result.SingleRow("START_REPLICATION");
        var next = new TimelineEndedMessage(checked((uint)result.Int64(row, "next_tli")!.Value), result.Lsn(row, "next_tli_startpos") ?? Lsn.Invalid);
        await _connector.CompleteCommandAsync(ct).ConfigureAwait(false);
        return next;
    }

    private ValueTask SendStatusAsync(bool replyRequested, CancellationToken ct) => _connector.SendStandbyStatusAsync(
        new Lsn(Volatile.Read(ref _written)), new Lsn(Volatile.Read(ref _flushed)), new Lsn(Volatile.Read(ref _applied)), replyRequested, ct);

    private async Task SendStatusPeriodicallyAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopStatus.Token).ConfigureAwait(false))
                await SendStatusAsync(replyRequested: false, CancellationToken.None).ConfigureAwait(false); // a cancelled write could leave half a message
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
        catch (PgBackupException)
        {
            // The connection failed; the reader sees the same failure on its next read and reports it.
        }
    }

    private async Task StopStatusLoopAsync()
    {
        if (!_stopStatus.IsCancellationRequested)
            await _stopStatus.CancelAsync().ConfigureAwait(false);
        await _statusLoop.ConfigureAwait(false);
    }
}
