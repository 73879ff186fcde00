using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PgBackup.IO;
using PgBackup.Tests.Unit.Repository;

namespace PgBackup.Tests.Unit.IO;

/// <summary>The one chain check behind sslrootcert (replication) and ca_file (Patroni), on certificates made here.</summary>
public sealed class CustomRootTrustFacts : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly X509Certificate2 _root = Authority("CN=pgbackup test root");
    private readonly X509Certificate2 _otherRoot = Authority("CN=someone else");

    public void Dispose()
    {
        _root.Dispose();
        _otherRoot.Dispose();
        _dir.Dispose();
    }

    private static X509Certificate2 Authority(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static X509Certificate2 ServerSignedBy(X509Certificate2 issuer)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=db1.example", key, HashAlgorithmName.SHA256);
        return request.Create(issuer, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), [1, 2, 3, 4]);
    }

    private X509Certificate2Collection Roots => [_root];

    [Fact]
    public void A_certificate_issued_by_the_root_is_trusted()
    {
        using var server = ServerSignedBy(_root);
        Assert.Null(CustomRootTrust.Problem(server, SslPolicyErrors.RemoteCertificateChainErrors, Roots, "ca.pem", "db1.example"));
    }

    [Fact]
    public void A_certificate_of_another_authority_is_refused_naming_the_root_file()
    {
        using var server = ServerSignedBy(_otherRoot);
        var problem = CustomRootTrust.Problem(server, SslPolicyErrors.RemoteCertificateChainErrors, Roots, "ca.pem", null);
        Assert.NotNull(problem);
        Assert.StartsWith("the server certificate does not chain to the root certificate ca.pem (", problem);
    }

    [Fact]
    public void A_name_mismatch_is_refused_only_when_a_host_is_checked()
    {
        using var server = ServerSignedBy(_root);
        Assert.Equal("the server certificate (CN=db1.example) is not issued for host \"db2.example\"",
            CustomRootTrust.Problem(server, SslPolicyErrors.RemoteCertificateNameMismatch, Roots, "ca.pem", "db2.example"));
        Assert.Null(CustomRootTrust.Problem(server, SslPolicyErrors.RemoteCertificateNameMismatch, Roots, "ca.pem", null));
    }

    [Fact]
    public void No_certificate_is_refused() =>
        Assert.Equal("the server sent no certificate", CustomRootTrust.Problem(null, SslPolicyErrors.RemoteCertificateNotAvailable, Roots, "ca.pem", null));

    [Fact]
    public void A_pem_bundle_loads_every_certificate_and_a_der_file_its_one()
    {
        var pem = Path.Combine(_dir.Path, "bundle.pem");
        File.WriteAllText(pem, _otherRoot.ExportCertificatePem() + "\n" + _root.ExportCertificatePem() + "\n");
        var der = Path.Combine(_dir.Path, "root.der");
        File.WriteAllBytes(der, _root.Export(X509ContentType.Cert));

        Assert.Equal([_otherRoot.Thumbprint, _root.Thumbprint], CustomRootTrust.Load(pem).Select(c => c.Thumbprint));
        Assert.Equal([_root.Thumbprint], CustomRootTrust.Load(der).Select(c => c.Thumbprint));
        using var server = ServerSignedBy(_root);
        Assert.Null(CustomRootTrust.Problem(server, SslPolicyErrors.None, CustomRootTrust.Load(pem), pem, null));
    }
}
