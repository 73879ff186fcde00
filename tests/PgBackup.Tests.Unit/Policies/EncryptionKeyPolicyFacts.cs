using PgBackup.Errors;
using PgBackup.Policies;
using PgBackup.Tests.Unit.Repository;

namespace PgBackup.Tests.Unit.Policies;

public sealed class EncryptionKeyPolicyFacts : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Policy(string keyLine)
    {
        var file = Path.Combine(_dir.Path, "p.yaml");
        File.WriteAllText(file, $"""
            cluster: main
            patroni:
              urls: [http://127.0.0.1:8008]
            connection:
              user: pgbackup
            repository:
              type: local
              path: repo
              {keyLine}
            """);
        return file;
    }

    [Fact]
    public void A_key_file_with_64_hex_digits_gives_the_repository_its_key()
    {
        File.WriteAllText(Path.Combine(_dir.Path, "key"), new string('f', 64) + "\n");

        var policy = PolicyLoader.Load(Policy("encryption_key_file: key"));

        Assert.NotNull(policy.Repository.EncryptionKey);
        Assert.Equal($"<encryption key from file {Path.Combine(_dir.Path, "key")}>", policy.Repository.EncryptionKey.ToString());
        Assert.True(policy.OpenRepository().Codec.IsEncrypted);
    }

    [Fact]
    public void A_base64_key_from_the_environment_is_accepted()
    {
        Environment.SetEnvironmentVariable("PGBACKUP_TEST_KEY_B64", Convert.ToBase64String(new byte[32]));

        var policy = PolicyLoader.Load(Policy("encryption_key_env: PGBACKUP_TEST_KEY_B64"));

        Assert.Equal("env PGBACKUP_TEST_KEY_B64", policy.Repository.EncryptionKey!.Origin);
    }

    [Fact]
    public void A_key_that_is_not_256_bits_is_named_with_file_line_and_key_without_its_value()
    {
        File.WriteAllText(Path.Combine(_dir.Path, "key"), "hunter2hunter2");
        var file = Policy("encryption_key_file: key");

        var e = Assert.Throws<UsageException>(() => PolicyLoader.Load(file));

        Assert.StartsWith($"{file}:9: repository.encryption_key_file: the key from file {Path.Combine(_dir.Path, "key")} is not 256 bits", e.Message);
        Assert.Contains("openssl rand -hex 32", e.Message);
        Assert.DoesNotContain("hunter2", e.Message);
    }

    [Fact]
    public void An_inline_key_is_refused()
    {
        var e = Assert.Throws<UsageException>(() => PolicyLoader.Load(Policy("encryption_key: " + new string('f', 64))));

        Assert.Contains("repository.encryption_key: secrets are never written inline", e.Message);
    }

    [Fact]
    public void Without_a_key_the_repository_is_not_encrypted() =>
        Assert.Null(PolicyLoader.Load(Policy("compression_level: 3")).Repository.EncryptionKey);
}
