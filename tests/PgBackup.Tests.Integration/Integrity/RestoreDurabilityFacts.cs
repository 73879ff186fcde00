using System.Text.Json;
using System.Text.RegularExpressions;
using PgBackup.Tests.Integration.Backup;
using PgBackup.Tests.Integration.Sandbox;
using Xunit.Abstractions;

namespace PgBackup.Tests.Integration.Integrity;

/// <summary>
/// A restore is durable before it reports success: traced with strace, it flushes (fsync) every
/// file and every directory it leaves in PGDATA, whatever the backup format.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed partial class RestoreDurabilityFacts(SandboxFixture fixture, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(180);

    private readonly BackupTestbed _bed = new(fixture);

    [Theory]
    [InlineData("server")]
    [InlineData("client")]
    public async Task Every_restored_file_and_directory_is_flushed_to_disk(string compression)
    {
        await _bed.DatasetAsync();
        var policy = _bed.LocalPolicy(_bed.NewDirectory("repo"), compression);
        var backup = await PgBackupCli.RunAsync(["backup", "--policy", policy, "--json"], Deadline);
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var id = JsonDocument.Parse(backup.Stdout).RootElement.GetProperty("id").GetString()!;
        var pgData = _bed.NewPath("traced");
        var trace = _bed.NewPath("strace") + ".log";

        // -y prints the path behind each file descriptor; -f follows the runtime's threads.
        var restore = await RestoredServer.RunAsync("strace", ["-f", "-qq", "-y", "-e", "trace=fsync,fdatasync", "-o", trace,
            PgBackupCli.DotnetHost(), PgBackupCli.Dll, "restore", "--policy", policy, "--backup", id, "--pgdata", pgData, "--port", RestoredServer.FreePort().ToString()]);
        Assert.True(restore.ExitCode == 0, restore.Output);

        var flushed = FlushedPath().Matches(File.ReadAllText(trace)).Select(m => Normal(m.Groups["path"].Value)).ToHashSet(StringComparer.Ordinal);
        var written = Directory.EnumerateFileSystemEntries(pgData, "*", SearchOption.AllDirectories)
            .Where(p => new FileInfo(p).LinkTarget is null)
            .Prepend(pgData)
            .ToList();
        output.WriteLine($"{written.Count} files and directories in PGDATA, {flushed.Count} distinct paths flushed");
        // A hard link (the spool's name of the backup's own WAL) is flushed with the file it names.
        var inodes = Inodes(written.Concat(flushed.Where(File.Exists)).Distinct().ToList());
        var flushedInodes = flushed.Where(inodes.ContainsKey).Select(p => inodes[p]).ToHashSet();
        var unflushed = written.Where(p => !flushed.Contains(p) && !(inodes.TryGetValue(p, out var inode) && flushedInodes.Contains(inode))).ToList();
        Assert.True(unflushed.Count == 0, $"{unflushed.Count} not flushed, e.g. {string.Join(", ", unflushed.Take(10))}");
    }

    /// <summary>Each path's inode number (`stat`), for regular files.</summary>
    private static Dictionary<string, string> Inodes(IReadOnlyList<string> paths)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("stat") { RedirectStandardOutput = true };
        foreach (var a in new[] { "-c", "%F %i %n" }.Concat(paths)) psi.ArgumentList.Add(a);
        using var stat = System.Diagnostics.Process.Start(psi)!;
        var lines = stat.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        stat.WaitForExit();
        return lines.Where(l => l.StartsWith("regular file ", StringComparison.Ordinal))
            .Select(l => l["regular file ".Length..].Split(' ', 2)).ToDictionary(f => f[1], f => f[0], StringComparer.Ordinal);
    }

    /// <summary>Files flushed under a temporary name count for the name they were renamed to.</summary>
    private static string Normal(string path) => path
        .Replace(".pgbackup-restore", "", StringComparison.Ordinal)
        .Replace(".pgbackup-tmp", "", StringComparison.Ordinal);

    // A call another thread interrupts is printed "<unfinished ...>" (its result on a later line); a failed
    // fsync would have failed the restore, whose exit code the test checks.
    [GeneratedRegex(@"f(?:data)?sync\(\d+<(?<path>[^>]+)>(?:\)\s+=\s+0| <unfinished)")]
    private static partial Regex FlushedPath();

    public void Dispose() => _bed.Dispose();
}
