using System.Globalization;
using System.Text;
using PgBackup.Policies;

namespace PgBackup.Tests.Integration.Sandbox;

/// <summary>
/// A policy file in a fresh temporary directory, with the replication password in a 0600 file
/// next to it (policies never hold secrets inline) and a local-directory repository. Removed
/// with everything in it on dispose.
/// </summary>
public sealed class PolicyFile : IDisposable
{
    private PolicyFile(string directory, string yaml)
    {
        Directory = directory;
        Path = System.IO.Path.Combine(directory, "policy.yaml");
        File.WriteAllText(Path, yaml);
    }

    public string Directory { get; }

    public string Path { get; }

    public string RepositoryPath => System.IO.Path.Combine(Directory, "repository");

    /// <summary>A policy for the live sandbox: its Patroni URLs and its backup user.</summary>
    /// <param name="compression">backup.compression: "server" (the default) or "client" (chunks; needed by restore --delta).</param>
    public static PolicyFile ForSandbox(SandboxEndpoints endpoints, bool allowLeader = false, string compression = "server") =>
        Create(endpoints.PatroniUrls, endpoints.ReplicationUser, endpoints.ReplicationPassword, allowLeader, [], compression);

    /// <param name="extraConnectionLines">Raw YAML lines appended to the connection: section (e.g. a misspelt key).</param>
    public static PolicyFile Create(IEnumerable<string> patroniUrls, string user, string password, bool allowLeader = false, string[]? extraConnectionLines = null, string compression = "server")
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("pgbackup-policy-").FullName;
        var passwordFile = System.IO.Path.Combine(directory, "password");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // 0600
        using (var stream = new FileStream(passwordFile, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(password + "\n"));
        }

        var yaml = new StringBuilder()
            .AppendLine("cluster: sandbox")
            .AppendLine("patroni:")
            .AppendLine(CultureInfo.InvariantCulture, $"  urls: [{string.Join(", ", patroniUrls)}]")
            .AppendLine("  timeout: 2s")
            .AppendLine("connection:")
            .AppendLine(CultureInfo.InvariantCulture, $"  user: {user}")
            .AppendLine("  password_file: password")
            .AppendLine("  sslmode: disable");
        foreach (var line in extraConnectionLines ?? []) yaml.AppendLine("  " + line);
        yaml.AppendLine("repository:")
            .AppendLine("  type: local")
            .AppendLine("  path: repository")
            .AppendLine("source:")
            .AppendLine("  max_lag: 16MB")
            .AppendLine(CultureInfo.InvariantCulture, $"  allow_leader: {(allowLeader ? "true" : "false")}")
            .AppendLine("backup:")
            .AppendLine(CultureInfo.InvariantCulture, $"  compression: {compression}");
        return new PolicyFile(directory, yaml.ToString());
    }

    public Policy Load() => PolicyLoader.Load(Path);

    /// <summary>
    /// Lets <paramref name="group"/> read the policy, its password file and its local repository
    /// (directory 0750, files 0640, group <paramref name="group"/>): a restored server running as
    /// postgres calls `pgbackup wal-fetch --policy` as postgres. The temporary directory's parents
    /// (/tmp) are traversable already.
    /// </summary>
    public void ShareWithGroup(string group)
    {
        Run("chgrp", group, Directory, Path, System.IO.Path.Combine(Directory, "password"));
        File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        foreach (var file in new[] { Path, System.IO.Path.Combine(Directory, "password") })
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
    }

    /// <summary>Back to owner-only (0700): nobody else can read the policy, its secret or the repository under it.</summary>
    public void Unshare() => File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

    private static void Run(string program, params string[] args)
    {
        using var process = System.Diagnostics.Process.Start(program, args);
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {process.ExitCode}");
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
