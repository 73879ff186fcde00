using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace PgBackup.Cli.Serve.Security;

internal enum AccessDecision { Allow, Challenge }

/// <summary>
/// Who may see the dashboard and the API. Without a token only loopback callers get in, and a
/// caller that a reverse proxy forwards from elsewhere is not loopback (<see cref="ForwardedClient"/>
/// says who the caller is; null when that cannot be known); with a token every caller
/// must present it, as a bearer token or as the password of HTTP basic auth (any user name), which
/// is what a browser can send to the dashboard.
/// </summary>
internal static class AccessRule
{
    public static AccessDecision Decide(string? token, IPAddress? caller, string? authorization)
    {
        if (token is null)
            return caller is not null && IPAddress.IsLoopback(caller) ? AccessDecision.Allow : AccessDecision.Challenge;
        return PresentedSecret(authorization) is { } presented && FixedTimeEquals(presented, token) ? AccessDecision.Allow : AccessDecision.Challenge;
    }

    private static string? PresentedSecret(string? authorization)
    {
        if (authorization is null) return null;
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return authorization["Bearer ".Length..].Trim();
        if (!authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
            var colon = pair.IndexOf(':');
            return colon < 0 ? null : pair[(colon + 1)..];
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Compares hashes so neither the length nor the content leaks through timing.</summary>
    private static bool FixedTimeEquals(string presented, string token) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
