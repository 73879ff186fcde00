using System.Net.Sockets;
using System.Runtime.CompilerServices;
using PgBackup.Errors;

namespace PgBackup.Postgres.Replication.Internal;

/// <summary>
/// One protocol v3 session in replication mode: the socket, framing, the message loop and error
/// translation. Split by concern: startup and auth (.Startup), TLS (.Tls), frontend messages (.Frontend).
/// Every failure leaves here as a one-line PgBackupException: SourceUnavailableException while
/// connecting, OperationFailedException afterwards.
/// </summary>
internal sealed partial class ReplicationConnector : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly ReadBuffer _reader;
    private readonly WriteBuffer _writer = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private Stream _stream;
    private BackendMessageHeader? _pushedBack;

    private ReplicationConnector(ReplicationConnectionSettings settings, Socket socket)
    {
        Settings = settings;
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new ReadBuffer(_stream);
    }

    public ReplicationConnectionSettings Settings { get; }

    public ConnectorState State { get; private set; } = ConnectorState.Connecting;

    /// <summary>The command in progress, named in error messages.</summary>
    public string CurrentCommand { get; private set; } = "connect";

    /// <summary>Claims the idle connection for a command; one command at a time, as the protocol requires.</summary>
    public void BeginCommand(string command)
    {
        switch (State)
        {
            case ConnectorState.Ready:
                State = ConnectorState.Busy;
                CurrentCommand = command;
                return;
            case ConnectorState.Busy:
                throw new InvalidOperationException($"the replication connection is busy with {CurrentCommand}; finish or dispose it first");
            default:
                throw new OperationFailedException($"the replication connection to {Settings.Endpoint} is {State.ToString().ToLowerInvariant()}; open a new one");
        }
    }

    /// <summary>Reads the next message header, handling notices, parameter changes and errors on the way.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<BackendMessageHeader> ReadHeaderAsync(CancellationToken ct)
    {
        if (_pushedBack is { } pushed)
        {
            _pushedBack = null;
            return pushed;
        }
        try
        {
            while (true)
            {
                var header = await _reader.ReadHeaderAsync(ct).ConfigureAwait(false);
                switch (header.Code)
                {
                    case BackendMessageCode.NoticeResponse:
                    case BackendMessageCode.ParameterStatus:
                        await _reader.SkipAsync(header.PayloadLength, ct).ConfigureAwait(false);
                        continue;
                    case BackendMessageCode.ErrorResponse:
                        var payload = await _reader.ReadPayloadAsync(header.PayloadLength, ct).ConfigureAwait(false);
                        throw await ServerErrorAsync(ErrorResponseParser.Parse(payload.Span), ct).ConfigureAwait(false);
                    default:
                        return header;
                }
            }
        }
        catch (Exception e) when (e is not PgBackupException)
        {
            throw Failure(e);
        }
    }

    /// <summary>Makes the next <see cref="ReadHeaderAsync"/> return <paramref name="header"/> again (its payload is still unread).</summary>
    public void PushBack(BackendMessageHeader header) => _pushedBack = header;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadOnlyMemory<byte>> ReadPayloadAsync(int length, CancellationToken ct)
    {
        try
        {
            return await _reader.ReadPayloadAsync(length, ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Failure(e);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReadPayloadChunkAsync(Memory<byte> destination, CancellationToken ct)
    {
        try
        {
            return await _reader.ReadPayloadChunkAsync(destination, ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Failure(e);
        }
    }

    public async ValueTask SkipPayloadAsync(int length, CancellationToken ct)
    {
        try
        {
            await _reader.SkipAsync(length, ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Failure(e);
        }
    }

    /// <summary>Reads a header that must have <paramref name="code"/>, and its payload.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ExpectAsync(char code, CancellationToken ct)
    {
        var header = await ReadHeaderAsync(ct).ConfigureAwait(false);
        if (header.Code != code)
            throw Failure(new ProtocolViolationException($"expected message '{code}', got '{header.Code}'"));
        return await ReadPayloadAsync(header.PayloadLength, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads a RowDescription, its DataRows and the CommandComplete that closes a result set in the
    /// middle of a command (BASE_BACKUP sends three); any other message after the rows stays unread.
    /// </summary>
    public async ValueTask<ResultSet> ReadResultSetAsync(CancellationToken ct)
    {
        var result = ResultSet.FromRowDescription((await ExpectAsync(BackendMessageCode.RowDescription, ct).ConfigureAwait(false)).Span);
        while (true)
        {
            var header = await ReadHeaderAsync(ct).ConfigureAwait(false);
            if (header.Code == BackendMessageCode.CommandComplete)
            {
                await SkipPayloadAsync(header.PayloadLength, ct).ConfigureAwait(false);
                return result;
            }
            if (header.Code != BackendMessageCode.DataRow)
            {
                PushBack(header);
                return result;
            }
            result.AddDataRow((await ReadPayloadAsync(header.PayloadLength, ct).ConfigureAwait(false)).Span);
        }
    }

    /// <summary>
    /// Reads to ReadyForQuery, skipping CommandComplete (and, when draining an interrupted stream,
    /// CopyData/CopyDone and trailing result rows), and marks the connection ready for the next command.
    /// </summary>
    public async ValueTask CompleteCommandAsync(CancellationToken ct)
    {
        while (true)
        {
            var header = await ReadHeaderAsync(ct).ConfigureAwait(false);
            await SkipPayloadAsync(header.PayloadLength, ct).ConfigureAwait(false);
            if (header.Code == BackendMessageCode.ReadyForQuery)
            {
                State = ConnectorState.Ready;
                return;
            }
        }
    }

    /// <summary>Simple query returning its (only or last) result set, or null if it returned none.</summary>
    public async Task<ResultSet?> QueryAsync(string command, string sql, CancellationToken ct)
    {
        BeginCommand(command);
        await SendQueryAsync(sql, ct).ConfigureAwait(false);
        ResultSet? result = null;
        while (true)
        {
            var header = await ReadHeaderAsync(ct).ConfigureAwait(false);
            switch (header.Code)
            {
                case BackendMessageCode.RowDescription:
                    PushBack(header);
                    result = await ReadResultSetAsync(ct).ConfigureAwait(false);
                    break;
                case BackendMessageCode.CommandComplete:
                case BackendMessageCode.EmptyQueryResponse:
                    await SkipPayloadAsync(header.PayloadLength, ct).ConfigureAwait(false);
                    break;
                case BackendMessageCode.ReadyForQuery:
                    await SkipPayloadAsync(header.PayloadLength, ct).ConfigureAwait(false);
                    State = ConnectorState.Ready;
                    return result;
                default:
                    throw Failure(new ProtocolViolationException($"unexpected message '{header.Code}' in reply to {command}"));
            }
        }
    }

    /// <summary>
    /// After an ErrorResponse the server skips to ReadyForQuery, unless the error is FATAL (it
    /// then closes the connection). Drain so the connection stays usable, then report.
    /// </summary>
    private async ValueTask<Exception> ServerErrorAsync(PostgresServerError error, CancellationToken ct)
    {
        var connecting = State == ConnectorState.Connecting;
        if (connecting || error.Severity is "FATAL" or "PANIC")
        {
            State = ConnectorState.Broken;
            return ServerErrorMessages.Translate(error, Settings, connecting ? null : CurrentCommand);
        }
        try
        {
            while (true)
            {
                var header = await _reader.ReadHeaderAsync(ct).ConfigureAwait(false);
                await _reader.SkipAsync(header.PayloadLength, ct).ConfigureAwait(false);
                if (header.Code == BackendMessageCode.ReadyForQuery)
                    break;
            }
            State = ConnectorState.Ready;
        }
        catch (Exception e) when (e is ConnectionLostException or ProtocolViolationException)
        {
            State = ConnectorState.Broken;
        }
        return ServerErrorMessages.Translate(error, Settings, CurrentCommand);
    }

    /// <summary>Turns whatever went wrong into the one-line exception the caller sees.</summary>
    public Exception Failure(Exception cause)
    {
        if (cause is PgBackupException or OperationCanceledException)
        {
            if (cause is OperationCanceledException && State != ConnectorState.Closed)
                State = ConnectorState.Broken; // a message may be half read: the stream is out of step
            return cause;
        }
        var wasConnecting = State == ConnectorState.Connecting;
        State = ConnectorState.Broken;
        var reason = cause switch
        {
            ConnectionLostException => $"the connection was lost ({cause.Message})",
            ProtocolViolationException => $"the server sent something unexpected ({cause.Message})",
            _ => cause.Message,
        };
        return wasConnecting
            ? new SourceUnavailableException($"cannot open a replication connection to {Settings.Endpoint}: {reason}; check that PostgreSQL is running there and retry", cause)
            : new OperationFailedException($"{CurrentCommand} on {Settings.Endpoint} failed: {reason}; check the server and retry", cause);
    }

    public async ValueTask DisposeAsync()
    {
        if (State == ConnectorState.Closed)
            return;
        if (State == ConnectorState.Ready)
        {
            try
            {
                await SendTerminateAsync().ConfigureAwait(false);
            }
            catch (PgBackupException)
            {
                // Saying goodbye is a courtesy; the socket closes either way.
            }
        }
        State = ConnectorState.Closed;
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
        _writeLock.Dispose();
    }
}

internal enum ConnectorState
{
    Connecting,
    Ready,
    Busy,
    Broken,
    Closed,
}
