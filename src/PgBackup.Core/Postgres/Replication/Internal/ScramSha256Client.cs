using System.Security.Cryptography;
using System.Text;

namespace PgBackup.Postgres.Replication.Internal;

/// <summary>
/// The client side of SCRAM-SHA-256 (RFC 5802 / RFC 7677) without channel binding ("n,,").
/// PostgreSQL ignores the SCRAM user name (the startup packet's user counts), so it sends an empty
/// one; the RFC test vector uses "user". The server's signature is verified: a server that does not
/// know the password cannot impersonate the real one.
/// </summary>
internal sealed class ScramSha256Client
{
    public const string Mechanism = "SCRAM-SHA-256";
    private const string Gs2Header = "n,,";

    private readonly byte[] _password;
    private readonly string _clientFirstBare;
    private readonly string _clientNonce;
    private byte[]? _expectedServerSignature;

    public ScramSha256Client(string password, string user = "", string? clientNonce = null)
    {
        // SASLprep of the password is skipped: identical for ASCII passwords, and PostgreSQL
        // itself falls back to the raw bytes when a password is not valid SASLprep input.
        _password = Encoding.UTF8.GetBytes(password);
        _clientNonce = clientNonce ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        _clientFirstBare = $"n={user.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal)},r={_clientNonce}";
    }

    public string ClientFirstMessage => Gs2Header + _clientFirstBare;

    /// <summary>Checks server-first-message and returns client-final-message (with the proof).</summary>
    public string ClientFinalMessage(string serverFirst)
    {
        string? nonce = null, salt = null, iterationsText = null;
        foreach (var attribute in serverFirst.Split(','))
        {
            if (attribute.StartsWith("r=", StringComparison.Ordinal)) nonce = attribute[2..];
            else if (attribute.StartsWith("s=", StringComparison.Ordinal)) salt = attribute[2..];
            else if (attribute.StartsWith("i=", StringComparison.Ordinal)) iterationsText = attribute[2..];
        }
        if (nonce is null || salt is null || !int.TryParse(iterationsText, out var iterations) || iterations <= 0)
            throw new AuthenticationProtocolException("malformed SCRAM server-first-message");
        if (!nonce.StartsWith(_clientNonce, StringComparison.Ordinal) || nonce.Length == _clientNonce.Length)
            throw new AuthenticationProtocolException("SCRAM server nonce does not extend the client nonce");

        var saltedPassword = Rfc2898DeriveBytes.Pbkdf2(_password, Convert.FromBase64String(salt), iterations, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(saltedPassword, "Client Key"u8);
        var storedKey = SHA256.HashData(clientKey);
        var clientFinalWithoutProof = $"c={Convert.ToBase64String(Encoding.ASCII.GetBytes(Gs2Header))},r={nonce}";
        var authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{serverFirst},{clientFinalWithoutProof}");

        var proof = HMACSHA256.HashData(storedKey, authMessage);
        for (var i = 0; i < proof.Length; i++)
            proof[i] ^= clientKey[i];

        var serverKey = HMACSHA256.HashData(saltedPassword, "Server Key"u8);
        _expectedServerSignature = HMACSHA256.HashData(serverKey, authMessage);
        return $"{clientFinalWithoutProof},p={Convert.ToBase64String(proof)}";
    }

    /// <summary>Throws unless server-final-message carries the signature only the real server can compute.</summary>
    public void VerifyServerFinal(string serverFinal)
    {
        if (_expectedServerSignature is null)
            throw new InvalidOperationException("server-final before client-final");
        if (serverFinal.StartsWith("e=", StringComparison.Ordinal))
            throw new AuthenticationProtocolException($"SCRAM authentication rejected by the server: {serverFinal[2..]}");
        if (!serverFinal.StartsWith("v=", StringComparison.Ordinal))
            throw new AuthenticationProtocolException("malformed SCRAM server-final-message");
        var signature = Convert.FromBase64String(serverFinal[2..].Split(',')[0]);
        if (!CryptographicOperations.FixedTimeEquals(signature, _expectedServerSignature))
            throw new AuthenticationProtocolException("the server's SCRAM signature is wrong: it does not know the password (possible impersonation)");
    }
}

/// <summary>Authentication failed on the client's side of the exchange (bad server data, unsupported method).</summary>
internal sealed class AuthenticationProtocolException(string message) : Exception(message);
