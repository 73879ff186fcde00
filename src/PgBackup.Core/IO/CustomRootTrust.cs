using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace PgBackup.IO;

/// <summary>
/// Trust in a server certificate that chains to the certificates of one CA file instead of the
/// system store: libpq's sslrootcert for replication connections, ca_file for Patroni's API.
/// </summary>
internal static class CustomRootTrust
{
    /// <summary>Reads a PEM file (every certificate in it) or a DER file.</summary>
    public static X509Certificate2Collection Load(string path)
    {
        var roots = new X509Certificate2Collection();
        if (File.ReadAllText(path).Contains("-----BEGIN", StringComparison.Ordinal))
            roots.ImportFromPemFile(path);
        else
            roots.Add(X509CertificateLoader.LoadCertificateFromFile(path));
        return roots;
    }

    /// <summary>
    /// Null if <paramref name="certificate"/> chains to one of <paramref name="roots"/> (read from
    /// <paramref name="rootFile"/>) and, when <paramref name="host"/> is given, is issued for that
    /// host; otherwise why not, for an error message.
    /// </summary>
    public static string? Problem(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection roots, string rootFile, string? host)
    {
        if (certificate is null)
            return "the server sent no certificate";
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var server = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (!chain.Build(server))
            return $"the server certificate does not chain to the root certificate {rootFile} ({string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()))})";
        if (host is not null && errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return $"the server certificate ({server.Subject}) is not issued for host \"{host}\"";
        return null;
    }
}
