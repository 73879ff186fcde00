using System.Diagnostics;
using System.Globalization;
using Npgsql;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Retention;

/// <summary>
/// A policy with a local repository and `pgbackup archive` running on it as a child process, plus
/// superuser SQL on the sandbox: what the retention, verify and drill tests build their repositories with.
/// </summary>
public sealed class ArchivedSandbox : IAsyncDisposable
{
    private readonly Process _archiver;
    private readonly string _policyYaml;
    private string _compression = "server";
    private string[] _retention = [];

    public ArchivedSandbox(SandboxFixture sandbox)
    {
        Sandbox = sandbox;
        Policy = PolicyFile.ForSandbox(sandbox.Endpoints);
        _policyYaml = File.ReadAllText(Policy.Path);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { PgBackupCli.Dll, "archive", "--policy", Policy.Path }) psi.ArgumentList.Add(a);
        _archiver = Process.Start(psi)!;
        _archiver.OutputDataReceived += (_, _) => { };
        _archiver.ErrorDataReceived += (_, _) => { };
        _archiver.BeginOutputReadLine();
        _archiver.BeginErrorReadLine();
    }

    public SandboxFixture Sandbox { get; }

    public PolicyFile Policy { get; }

    public string ClusterRoot => Path.Combine(Policy.RepositoryPath, "sandbox");

    /// <summary>Rewrites the policy's retention section (YAML lines such as "full_count: 2").</summary>
    public void SetRetention(params string[] lines)
    {
        _retention = lines;
        WritePolicy();
    }

    /// <summary>Sets the policy's backup.compression ("server" or "client") for the backups taken next.</summary>
    public void SetCompression(string compression)
    {
        _compression = compression;
        WritePolicy();
    }

    private void WritePolicy() =>
        File.WriteAllText(Policy.Path, _policyYaml.Replace("compression: server", $"compression: {_compression}", StringComparison.Ordinal)
            + (_retention.Length == 0 ? "" : "retention:\n" + string.Concat(_retention.Select(l => "  " + l + "\n"))));

    public Task<CliResult> RunAsync(params string[] args) => PgBackupCli.RunAsync([.. args, "--policy", Policy.Path], TimeSpan.FromMinutes(3));

    /// <summary>Takes a backup, after a checkpoint everywhere so it starts at its own LSN (a standby's backup starts at its last restartpoint).</summary>
    public async Task<string> BackupAsync(params string[] args)
    {
        await CheckpointEverywhereAsync();
        var result = await RunAsync(["backup", .. args]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var backups = Directory.GetDirectories(Path.Combine(ClusterRoot, "backups")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        return backups[^1]!;
    }

    /// <summary>Runs SQL on the leader; returns the first column of the first row, if any.</summary>
    public async Task<string?> LeaderAsync(string sql)
    {
        var leader = await new SandboxSql(Sandbox.Endpoints).LeaderAsync();
        return await OnMemberAsync(leader, sql);
    }

    /// <summary>Ends the leader's current segment and waits until the archiver has stored it.</summary>
    public async Task SwitchWalAndWaitArchivedAsync()
    {
        var timeline = uint.Parse((await LeaderAsync("SELECT timeline_id FROM pg_control_checkpoint()"))!, CultureInfo.InvariantCulture);
        await LeaderAsync("SELECT txid_current()"); // a switch on an empty segment is a no-op
        var segment = await LeaderAsync("SELECT pg_walfile_name(pg_switch_wal())");
        var file = Path.Combine(ClusterRoot, "wal", timeline.ToString("X8", CultureInfo.InvariantCulture), segment + ".zst");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(file))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the archiver did not store {file} within 60 s");
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// Everything the repository holds: relative path and size, for before/after comparisons. The
    /// local store's uploads in flight (*.pgbackup-tmp files the live archiver writes and renames) are no objects.
    /// </summary>
    public IReadOnlyList<string> Listing() =>
        Directory.EnumerateFiles(Policy.RepositoryPath, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".pgbackup-tmp", StringComparison.Ordinal))
            .Select(f => $"{Path.GetRelativePath(Policy.RepositoryPath, f)} {new FileInfo(f).Length}").Order(StringComparer.Ordinal).ToList();

    /// <summary>The complete archived segments of a timeline (file names), without partials and uploads in flight.</summary>
    public IReadOnlyList<string> ArchivedSegments(uint timeline)
    {
        var dir = Path.Combine(ClusterRoot, "wal", timeline.ToString("X8", CultureInfo.InvariantCulture));
        return Directory.Exists(dir)
            ? Directory.GetFiles(dir).Select(f => Path.GetFileName(f)).Where(n => n.Length == 28 && n.EndsWith(".zst", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList()
            : [];
    }

    private async Task CheckpointEverywhereAsync()
    {
        await LeaderAsync("CHECKPOINT");
        await Task.Delay(500); // the checkpoint record reaches the replicas, whose CHECKPOINT then makes a restartpoint
        foreach (var member in Sandbox.Endpoints.Members)
            if ((await new SandboxSql(Sandbox.Endpoints).StateOfAsync(member)).InRecovery)
                await OnMemberAsync(member, "CHECKPOINT");
    }

    private async Task<string?> OnMemberAsync(string member, string sql)
    {
        var e = Sandbox.Endpoints;
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = e.PgPortOf(member), Username = e.Superuser, Password = e.SuperuserPassword, Database = "postgres", Pooling = false,
        }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (await command.ExecuteScalarAsync())?.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_archiver.HasExited)
        {
            using (var term = Process.Start("kill", ["-TERM", _archiver.Id.ToString(CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try { await _archiver.WaitForExitAsync(deadline.Token); }
            catch (OperationCanceledException) { _archiver.Kill(entireProcessTree: true); }
        }
        _archiver.Dispose();
        Policy.Dispose();
    }
}
