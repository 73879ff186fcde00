using System.Net;
using PgBackup.Errors;

namespace PgBackup.Cli.Serve.Security;

/// <summary>
/// The addresses `serve` binds, read the way Kestrel will read them: --urls may repeat, and one
/// value may list several URLs separated by ';' (Kestrel's separator) or ','. Every one of them
/// counts when deciding whether the bind is loopback only.
/// </summary>
internal static class ListenAddresses
{
    public static IReadOnlyList<string> Parse(IEnumerable<string> values)
    {
        var urls = values.SelectMany(v => v.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (urls.Count == 0)
            throw new UsageException($"--urls names no address; give one such as {ServeOptions.DefaultUrl}");
        foreach (var url in urls) _ = Host(url);
        return urls;
    }

    /// <summary>True when the URL binds a loopback address; wildcards (0.0.0.0, *, +, [::]) and host names other than localhost do not.</summary>
    public static bool IsLoopback(string url)
    {
        var host = Host(url);
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    private static string Host(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var scheme = schemeEnd > 0 ? url[..schemeEnd].ToLowerInvariant() : null;
        var authority = scheme is "http" or "https" ? url[(schemeEnd + 3)..].Split('/')[0] : "";
        var host = authority.StartsWith('[')
            ? (authority.IndexOf(']') is var close and > 1 ? authority[1..close] : "")
            : authority.Split(':')[0];
        return host.Length > 0 ? host : throw new UsageException($"--urls '{url}' is not an address to listen on; write it as http://HOST:PORT, e.g. {ServeOptions.DefaultUrl} or http://[::1]:8080");
    }
}
