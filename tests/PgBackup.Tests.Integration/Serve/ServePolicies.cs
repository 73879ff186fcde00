using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Serve;

/// <summary>A temporary policy directory for `serve` against the sandbox; each policy gets its own repository prefix.</summary>
public sealed class ServePolicies : IDisposable
{
    private readonly SandboxEndpoints _sandbox;

    public ServePolicies(SandboxEndpoints sandbox)
    {
        _sandbox = sandbox;
        Root = System.IO.Directory.CreateTempSubdirectory("pgbackup-serve-").FullName;
        Directory = System.IO.Directory.CreateDirectory(Path.Combine(Root, "policies")).FullName;
        SecretFile("password", sandbox.ReplicationPassword);
        SecretFile("s3-access", sandbox.S3AccessKey);
        SecretFile("s3-secret", sandbox.S3SecretKey);
    }

    public string Root { get; }
    public string Directory { get; }
    public string StoragePath => Path.Combine(Root, "hangfire.db");

    /// <summary>Writes policies/NAME.yaml for cluster <paramref name="cluster"/>; returns its repository prefix.</summary>
    /// <param name="incrCron">Also schedules incremental backups (the policy then takes client chunks).</param>
    /// <param name="archive">Lines of the policy's archive: section.</param>
    /// <param name="jitter">schedules.jitter; null for the default.</param>
    public string Write(string cluster, string fullCron, string? fileName = null, string? incrCron = null, string? archive = null, string? jitter = null)
    {
        var prefix = $"serve-test/{cluster}";
        File.WriteAllText(Path.Combine(Directory, (fileName ?? cluster) + ".yaml"), $"""
            cluster: {cluster}
            patroni:
              urls: [{string.Join(", ", _sandbox.PatroniUrls)}]
            connection:
              user: {_sandbox.ReplicationUser}
              password_file: {Path.Combine(Root, "password")}
              sslmode: disable
            repository:
              type: s3
              s3:
                bucket: {_sandbox.S3Bucket}
                prefix: {prefix}
                endpoint: {_sandbox.S3Url}
                access_key_file: {Path.Combine(Root, "s3-access")}
                secret_key_file: {Path.Combine(Root, "s3-secret")}
            schedules:
              full: "{fullCron}"
            """ + (jitter is null ? "" : $"""

              jitter: {jitter}
            """) + (incrCron is null ? "" : $"""

              incr: "{incrCron}"
            backup:
              compression: client
            """) + (archive is null ? "" : $"""

            archive:
              {archive}
            """));
        return prefix;
    }

    public string PolicyFile(string name) => Path.Combine(Directory, name + ".yaml");

    public static string UniqueCluster(string stem) => $"{stem}-{Guid.NewGuid().ToString("N")[..8]}";

    private void SecretFile(string name, string value)
    {
        var path = Path.Combine(Root, name);
        File.WriteAllText(path, value);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
