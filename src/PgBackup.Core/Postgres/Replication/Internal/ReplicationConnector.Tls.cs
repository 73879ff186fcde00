using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using PgBackup.Errors;
using PgBackup.IO;

namespace PgBackup.Postgres.Replication.Internal;

/// <summary>SSLRequest and the TLS handshake, with libpq's sslmode semantics.</summary>
internal sealed partial class ReplicationConnector
{
    /// <summary>Why our certificate check refused the server, for the error message.</summary>
    private string? TlsFailure { get; set; }

    private async Task NegotiateTlsAsync(CancellationToken ct)
    {
        var mode = Settings.SslMode;
        if (mode == SslMode.Disable)
            return;
        var roots = mode is SslMode.VerifyCA or SslMode.VerifyFull ? LoadRootCertificates() : null;

        await SendSslRequestAsync(ct).ConfigureAwait(false);
        var answer = await _reader.ReadByteAsync(ct).ConfigureAwait(false);
        if (answer == (byte)'N')
        {
            if (mode == SslMode.Prefer)
                return;
            throw new SourceUnavailableException($"{Settings.Endpoint} does not offer TLS (ssl=off) but sslmode is {mode.Name()}; enable ssl on the server or use sslmode=prefer");
        }
        if (answer != (byte)'S')
            throw Failure(new ProtocolViolationException($"unexpected answer '{(char)answer}' to SSLRequest"));
        // Bytes sent before the handshake would be read as if they were protected (CVE-2021-23222).
        if (_reader.HasBufferedData)
            throw Failure(new ProtocolViolationException("unencrypted data after the SSLRequest answer"));

        var tls = new SslStream(_stream, leaveInnerStreamOpen: false, (_, certificate, chain, errors) => IsServerCertificateAccepted(certificate, errors, roots));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = Settings.Host }, ct).ConfigureAwait(false);
        _stream = tls;
        _reader.Stream = tls;
    }

    private bool IsServerCertificateAccepted(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection? roots)
    {
        if (roots is null)
            return true; // prefer/require: encryption without authentication, as in libpq
        TlsFailure = CustomRootTrust.Problem(certificate, errors, roots, Settings.RootCertificatePath!, Settings.SslMode == SslMode.VerifyFull ? Settings.Host : null);
        return TlsFailure is null;
    }

    private X509Certificate2Collection LoadRootCertificates()
    {
        var path = Settings.RootCertificatePath;
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
            throw new SourceUnavailableException($"sslmode={Settings.SslMode.Name()} needs a root certificate file, and \"{path}\" does not exist; set the root certificate path");
        return CustomRootTrust.Load(path);
    }
}
