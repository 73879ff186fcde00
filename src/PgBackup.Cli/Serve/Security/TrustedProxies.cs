using System.Net;
using PgBackup.Errors;

namespace PgBackup.Cli.Serve.Security;

/// <summary>
/// The reverse proxies (--trusted-proxies: addresses or CIDR networks) whose forwarding headers
/// say who the caller is. Nobody else's are believed: a caller can write any header it likes.
/// </summary>
internal sealed class TrustedProxies
{
    public static readonly TrustedProxies None = new([]);

    private TrustedProxies(IReadOnlyList<IPNetwork> networks) => Networks = networks;

    public IReadOnlyList<IPNetwork> Networks { get; }

    public bool IsEmpty => Networks.Count == 0;

    public static TrustedProxies Parse(IEnumerable<string> values) =>
        new(values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(ParseOne).ToList());

    public bool Contains(IPAddress address)
    {
        var a = Normalize(address);
        return Networks.Any(n => n.Contains(a));
    }

    /// <summary>A dual-stack socket reports IPv4 callers as ::ffff:a.b.c.d; compare them as the IPv4 addresses they are.</summary>
    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    public override string ToString() => string.Join(", ", Networks);

    private static IPNetwork ParseOne(string text)
    {
        if (!text.Contains('/') && IPAddress.TryParse(text, out var ip))
        {
            ip = Normalize(ip);
            return new IPNetwork(ip, ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        }
        return IPNetwork.TryParse(text, out var network)
            ? network
            : throw new UsageException($"--trusted-proxies '{text}' is not an IP address or a CIDR network (e.g. 127.0.0.1, 10.0.0.0/8, fd00::/8)");
    }
}
