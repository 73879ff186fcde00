using System.Net;

namespace PgBackup.Cli.Serve.Security;

/// <summary>
/// Who a request really comes from, for <see cref="AccessRule"/>. Without forwarding headers it is
/// the connection's peer. With them, they are believed only from a trusted proxy, and then the
/// client is the right-most hop that is not a trusted proxy (hops to its left are whatever the
/// client wrote). Forwarded (RFC 7239), X-Forwarded-For and X-Real-IP are all read; when several
/// are present they must agree, because a proxy that sets one passes the others through as the
/// client wrote them. Null when the caller cannot be known: headers from an untrusted peer (a
/// same-host proxy nobody configured, forwarding for remote users), an "unknown" or obfuscated
/// hop, or headers that disagree.
/// </summary>
internal static class ForwardedClient
{
    public static IPAddress? Resolve(IPAddress? peer, string? forwarded, string? xForwardedFor, string? xRealIp, TrustedProxies proxies)
    {
        var chains = new List<IReadOnlyList<IPAddress?>>();
        if (!string.IsNullOrWhiteSpace(forwarded)) chains.Add(ForwardedFor(forwarded));
        if (!string.IsNullOrWhiteSpace(xForwardedFor)) chains.Add(SplitOutsideQuotes(xForwardedFor, ',').Select(Hop).ToList());
        if (!string.IsNullOrWhiteSpace(xRealIp)) chains.Add(SplitOutsideQuotes(xRealIp, ',').Select(Hop).ToList());
        if (peer is null) return null;
        peer = TrustedProxies.Normalize(peer);
        if (chains.Count == 0) return peer;
        if (!proxies.Contains(peer)) return null;
        var clients = chains.Select(c => Client(c, proxies)).ToList();
        return clients.All(c => c is not null && c.Equals(clients[0])) ? clients[0] : null;
    }

    private static IPAddress? Client(IReadOnlyList<IPAddress?> hops, TrustedProxies proxies)
    {
        for (var i = hops.Count - 1; i >= 0; i--)
        {
            if (hops[i] is not { } hop) return null;
            if (!proxies.Contains(hop)) return hop;
        }
        // Every hop is a trusted proxy: the request started at one of them.
        return hops.Count > 0 ? hops[0] : null;
    }

    /// <summary>The for= of each element of an RFC 7239 Forwarded header; null for an element without one.</summary>
    private static List<IPAddress?> ForwardedFor(string header) =>
        SplitOutsideQuotes(header, ',').Select(element => SplitOutsideQuotes(element, ';')
            .Select(pair => pair.Split('=', 2))
            .Where(kv => kv.Length == 2 && kv[0].Trim().Equals("for", StringComparison.OrdinalIgnoreCase))
            .Select(kv => Hop(kv[1]))
            .FirstOrDefault()).ToList();

    /// <summary>
    /// One hop: 192.0.2.60, "192.0.2.60:4711", "[2001:db8::17]:4711" or a bare IPv6 address;
    /// null for "unknown", an obfuscated identifier (_hidden) or anything else unreadable.
    /// </summary>
    private static IPAddress? Hop(string text)
    {
        var s = text.Trim().Trim('"').Trim();
        if (s.StartsWith('['))
            return s.IndexOf(']') is var close and > 1 && IPAddress.TryParse(s[1..close], out var v6) ? TrustedProxies.Normalize(v6) : null;
        if (IPAddress.TryParse(s, out var ip))
            return TrustedProxies.Normalize(ip);
        // IPv4 with a port: exactly one colon.
        return s.Split(':') is [var host, _] && IPAddress.TryParse(host, out var v4) ? TrustedProxies.Normalize(v4) : null;
    }

    private static List<string> SplitOutsideQuotes(string text, char separator)
    {
        var parts = new List<string>();
        var start = 0;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"') quoted = !quoted;
            else if (text[i] == separator && !quoted)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }
        parts.Add(text[start..]);
        return parts.Where(p => p.Trim().Length > 0).ToList();
    }
}
