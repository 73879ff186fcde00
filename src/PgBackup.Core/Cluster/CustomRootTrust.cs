using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace PgBackup.Cluster;

/// <summary>Validates a server certificate against one CA file instead of the system store.</summary>
internal static class CustomRootTrust
{
    public static bool Validates(X509Certificate2 server, X509Certificate2 root, SslPolicyErrors errors)
    {
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(server);
    }
}
