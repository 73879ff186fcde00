using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using PgBackup.Errors;

namespace PgBackup.Postgres.Replication.Internal;

/// <summary>Connecting: TCP, optional TLS, the startup packet and authentication (trust, cleartext, md5, SCRAM-SHA-256).</summary>
internal sealed partial class ReplicationConnector
{
    public static async Task<ReplicationConnector> OpenAsync(ReplicationConnectionSettings settings, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(settings.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        ReplicationConnector? connector = null;
        try
        {
            await socket.ConnectAsync(settings.Host, settings.Port, timeout.Token).ConfigureAwait(false);
            connector = new ReplicationConnector(settings, socket);
            await connector.NegotiateTlsAsync(timeout.Token).ConfigureAwait(false);
            await connector.SendStartupAsync(timeout.Token).ConfigureAwait(false);
            await connector.AuthenticateAsync(timeout.Token).ConfigureAwait(false);
            await connector.CompleteCommandAsync(timeout.Token).ConfigureAwait(false); // BackendKeyData, ParameterStatus ... ReadyForQuery
            return connector;
        }
        catch (Exception e)
        {
            if (connector is not null)
                await connector.DisposeAsync().ConfigureAwait(false);
            else
                socket.Dispose();
            if (e is OperationCanceledException && !ct.IsCancellationRequested)
                throw new SourceUnavailableException($"timed out after {settings.ConnectTimeout.TotalSeconds:0.#} s opening a replication connection to {settings.Endpoint}; check that the host is reachable and PostgreSQL listens on that port", e);
            if (e is SocketException se)
                throw new SourceUnavailableException($"cannot connect to {settings.Endpoint}: {se.Message}; check the host, the port and that PostgreSQL is running and listening there", e);
            if (e is AuthenticationException ae)
                throw new SourceUnavailableException($"TLS with {settings.Endpoint} failed (sslmode={settings.SslMode.Name()}): {connector?.TlsFailure ?? ae.Message}; fix the server certificate or the root certificate, or relax sslmode", e);
            throw;
        }
    }

    private async Task AuthenticateAsync(CancellationToken ct)
    {
        ScramSha256Client? scram = null;
        while (true)
        {
            var payload = await ExpectAsync(BackendMessageCode.Authentication, ct).ConfigureAwait(false);
            var request = (AuthenticationRequest)BinaryPrimitives.ReadInt32BigEndian(payload.Span);
            var data = payload[4..];
            switch (request)
            {
                case AuthenticationRequest.Ok:
                    return;
                case AuthenticationRequest.CleartextPassword:
                    await SendPasswordAsync(RequirePassword("password"), ct).ConfigureAwait(false);
                    break;
                case AuthenticationRequest.Md5Password:
                    await SendPasswordAsync(Md5Password.Response(Settings.User, RequirePassword("md5"), data.Span[..4]), ct).ConfigureAwait(false);
                    break;
                case AuthenticationRequest.Sasl:
                    if (!SaslMechanisms(data.Span).Contains(ScramSha256Client.Mechanism))
                        throw AuthenticationFailure($"the server offers only SASL mechanisms we do not speak ({string.Join(", ", SaslMechanisms(data.Span))})");
                    scram = new ScramSha256Client(RequirePassword("scram-sha-256"));
                    await SendSaslInitialResponseAsync(ScramSha256Client.Mechanism, scram.ClientFirstMessage, ct).ConfigureAwait(false);
                    break;
                case AuthenticationRequest.SaslContinue when scram is not null:
                    await SendSaslResponseAsync(ScramClientStep(() => scram.ClientFinalMessage(Encoding.UTF8.GetString(data.Span))), ct).ConfigureAwait(false);
                    break;
                case AuthenticationRequest.SaslFinal when scram is not null:
                    ScramClientStep(() =>
                    {
                        scram.VerifyServerFinal(Encoding.UTF8.GetString(data.Span));
                        return "";
                    });
                    break;
                default:
                    throw AuthenticationFailure($"the server asks for authentication method {(int)request}, which pgbackup does not support (use scram-sha-256, md5, password or trust in pg_hba.conf)");
            }
        }
    }

    private string ScramClientStep(Func<string> step)
    {
        try
        {
            return step();
        }
        catch (Exception e) when (e is AuthenticationProtocolException or FormatException)
        {
            throw AuthenticationFailure(e.Message);
        }
    }

    private string RequirePassword(string method) => Settings.Password ?? throw AuthenticationFailure(
        $"the server requires {method} authentication for user \"{Settings.User}\" but no password was given; set one (PGPASSWORD or the password setting)");

    private SourceUnavailableException AuthenticationFailure(string reason)
    {
        State = ConnectorState.Broken;
        return new SourceUnavailableException($"cannot authenticate to {Settings.Endpoint}: {reason}");
    }

    private static List<string> SaslMechanisms(ReadOnlySpan<byte> data)
    {
        var mechanisms = new List<string>();
        while (data.Length > 0 && data[0] != 0)
        {
            var nul = data.IndexOf((byte)0);
            mechanisms.Add(Encoding.UTF8.GetString(data[..nul]));
            data = data[(nul + 1)..];
        }
        return mechanisms;
    }
}
