using System.Text;

namespace PgBackup.Postgres.Replication.Internal;

/// <summary>Frontend messages. Writes may come from two tasks while streaming (the reader answering a keepalive, the status timer), so they take the write lock.</summary>
internal sealed partial class ReplicationConnector
{
    private const int ProtocolVersion3 = 3 << 16;
    private const int SslRequestCode = (1234 << 16) | 5679;

    private async ValueTask SendAsync<TState>(TState state, Action<WriteBuffer, TState> build, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _writer.Clear();
            build(_writer, state);
            await _stream.WriteAsync(_writer.Written, ct).ConfigureAwait(false);
            await _stream.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            throw Failure(new ConnectionLostException(e.Message, e));
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private ValueTask SendSslRequestAsync(CancellationToken ct) => SendAsync(0, static (w, _) =>
    {
        w.StartMessage(null);
        w.WriteInt32(SslRequestCode);
        w.EndMessage();
    }, ct);

    private ValueTask SendStartupAsync(CancellationToken ct) => SendAsync(Settings, static (w, s) =>
    {
        w.StartMessage(null);
        w.WriteInt32(ProtocolVersion3);
        w.WriteCString("user");
        w.WriteCString(s.User);
        // "true" = physical replication: no database, only replication commands and SHOW.
        w.WriteCString("replication");
        w.WriteCString("true");
        w.WriteCString("application_name");
        w.WriteCString(s.ApplicationName);
        w.WriteCString("client_encoding");
        w.WriteCString("UTF8");
        w.WriteByte(0);
        w.EndMessage();
    }, ct);

    /// <summary>PasswordMessage: a cleartext or md5 password.</summary>
    private ValueTask SendPasswordAsync(string password, CancellationToken ct) => SendAsync(password, static (w, p) =>
    {
        w.StartMessage('p');
        w.WriteCString(p);
        w.EndMessage();
    }, ct);

    private ValueTask SendSaslInitialResponseAsync(string mechanism, string clientFirst, CancellationToken ct) =>
        SendAsync((mechanism, clientFirst), static (w, s) =>
        {
            w.StartMessage('p');
            w.WriteCString(s.mechanism);
            w.WriteInt32(Encoding.UTF8.GetByteCount(s.clientFirst));
            w.WriteBytes(Encoding.UTF8.GetBytes(s.clientFirst));
            w.EndMessage();
        }, ct);

    private ValueTask SendSaslResponseAsync(string clientFinal, CancellationToken ct) => SendAsync(clientFinal, static (w, s) =>
    {
        w.StartMessage('p');
        w.WriteBytes(Encoding.UTF8.GetBytes(s));
        w.EndMessage();
    }, ct);

    public ValueTask SendQueryAsync(string sql, CancellationToken ct) => SendAsync(sql, static (w, q) =>
    {
        w.StartMessage('Q');
        w.WriteCString(q);
        w.EndMessage();
    }, ct);

    public ValueTask SendCopyDataAsync(ReadOnlyMemory<byte> data, CancellationToken ct) => SendAsync(data, static (w, d) =>
    {
        w.StartMessage('d');
        w.WriteBytes(d.Span);
        w.EndMessage();
    }, ct);

    public ValueTask SendCopyDoneAsync(CancellationToken ct) => SendAsync(0, static (w, _) =>
    {
        w.StartMessage('c');
        w.EndMessage();
    }, ct);

    /// <summary>Standby status update ('r' in CopyData): positions as the replica reports them, time in microseconds since 2000.</summary>
    public ValueTask SendStandbyStatusAsync(Lsn written, Lsn flushed, Lsn applied, bool replyRequested, CancellationToken ct) =>
        SendAsync((written, flushed, applied, replyRequested), static (w, s) =>
        {
            w.StartMessage('d');
            w.WriteByte((byte)'r');
            w.WriteInt64((long)s.written.Value);
            w.WriteInt64((long)s.flushed.Value);
            w.WriteInt64((long)s.applied.Value);
            w.WriteInt64(PostgresEpoch.FromDateTime(DateTimeOffset.UtcNow));
            w.WriteByte(s.replyRequested ? (byte)1 : (byte)0);
            w.EndMessage();
        }, ct);

    private ValueTask SendTerminateAsync() => SendAsync(0, static (w, _) =>
    {
        w.StartMessage('X');
        w.EndMessage();
    }, CancellationToken.None);
}
