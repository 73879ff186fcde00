using System.Globalization;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Retention;

/// <summary>
/// A server-compressed and a client-compressed backup on a timeline above 1 (so with history
/// files) and archived WAL after them (several complete segments and a partial one), shared by the
/// verify and drill facts. Each fact that damages an object puts it back before it ends.
/// </summary>
public sealed class VerifiedRepository : IAsyncLifetime
{
    private readonly SandboxFixture _sandbox = new();

    public VerifiedRepository() => Repo = new ArchivedSandbox(_sandbox);

    public ArchivedSandbox Repo { get; }

    /// <summary>The server-compressed backup (the policy's default).</summary>
    public string BackupId { get; private set; } = "";

    /// <summary>The client-compressed backup: chunks in packs. The newest backup.</summary>
    public string ChunkedBackupId { get; private set; } = "";

    /// <summary>
    /// A copy of the repository taken once the archive held a partial segment, with nothing writing
    /// to it: facts that damage the archiver's newest objects (its partial segment) use it, as the
    /// live archiver would replace them under the fact.
    /// </summary>
    public PolicyFile Frozen { get; private set; } = null!;

    public string FrozenClusterRoot => Path.Combine(Frozen.RepositoryPath, "sandbox");

    public async Task InitializeAsync()
    {
        // Timelines above 1 have history files, in the archive and in the backups: switch over first if need be.
        if (await Repo.LeaderAsync("SELECT timeline_id FROM pg_control_checkpoint()") == "1")
        {
            _sandbox.Sandbox("switchover");
            await Repo.LeaderAsync("CHECKPOINT");
        }
        await Repo.LeaderAsync("CREATE TABLE IF NOT EXISTS verify_marker (n int)");
        BackupId = await Repo.BackupAsync();
        Repo.SetCompression("client");
        ChunkedBackupId = await Repo.BackupAsync();
        for (var i = 0; i < 3; i++)
        {
            await Repo.LeaderAsync("INSERT INTO verify_marker SELECT generate_series(1, 1000)");
            await Repo.SwitchWalAndWaitArchivedAsync();
        }
        await Repo.LeaderAsync("INSERT INTO verify_marker SELECT generate_series(1, 1000)");
        await WaitForPartialAsync();
        Frozen = PolicyFile.ForSandbox(_sandbox.Endpoints);
        CopyDirectory(Repo.ClusterRoot, FrozenClusterRoot);
    }

    public async Task DisposeAsync()
    {
        await Repo.DisposeAsync();
        Frozen?.Dispose();
    }

    public string BackupDirectory => Path.Combine(Repo.ClusterRoot, "backups", BackupId);

    /// <summary>`pgbackup ARGS --policy` on the frozen copy.</summary>
    public Task<CliResult> RunFrozenAsync(params string[] args) => PgBackupCli.RunAsync([.. args, "--policy", Frozen.Path], TimeSpan.FromMinutes(3));

    /// <summary>The archiver's newest partial segment in the frozen copy (older timelines may keep the one they ended with).</summary>
    public string FrozenPartial() =>
        Directory.GetFiles(Path.Combine(FrozenClusterRoot, "wal"), "*.partial.zst", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Last();

    private async Task WaitForPartialAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Directory.GetFiles(Path.Combine(Repo.ClusterRoot, "wal"), "*.partial.zst", SearchOption.AllDirectories).Length == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the archiver stored no partial segment within 60 s");
            await Task.Delay(200);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }

    /// <summary>An archived segment after the backup's end with others after it: removing it opens a gap.</summary>
    public string MiddleWalSegment()
    {
        var timeline = Directory.GetDirectories(Path.Combine(Repo.ClusterRoot, "wal")).Select(Path.GetFileName).Max(StringComparer.Ordinal)!;
        var segments = Repo.ArchivedSegments(uint.Parse(timeline, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        return Path.Combine(Repo.ClusterRoot, "wal", timeline, segments[^2]);
    }

    /// <summary>Flips one byte of <paramref name="file"/> (by default in its middle) until the returned scope ends.</summary>
    public static IDisposable FlipByte(string file, long? at = null)
    {
        var original = File.ReadAllBytes(file);
        var damaged = (byte[])original.Clone();
        damaged[at ?? damaged.Length / 2] ^= 0x5A;
        File.WriteAllBytes(file, damaged);
        return new Restore(() => File.WriteAllBytes(file, original));
    }

    /// <summary>
    /// Changes the last digit of the value that follows <paramref name="member"/> (e.g. <c>"endLsn":"</c>)
    /// in a JSON document to another digit, until the returned scope ends: the document stays valid
    /// JSON, stored the way it was (plain or a valid zstd object), and the value stays well-formed, only wrong.
    /// </summary>
    public static IDisposable FlipDigit(string file, string member)
    {
        var original = File.ReadAllBytes(file);
        StoredDocumentFile.Edit(file, text =>
        {
            var start = text.IndexOf(member, StringComparison.Ordinal);
            Assert.True(start >= 0, $"{member} not in {file}");
            var at = start + member.Length;
            while (char.IsAsciiHexDigit(text[at]) || text[at] == '/') at++;
            at--;
            return text[..at] + (text[at] == '1' ? '2' : '1') + text[(at + 1)..];
        });
        return new Restore(() => File.WriteAllBytes(file, original));
    }

    /// <summary>Moves <paramref name="file"/> away until the returned scope ends.</summary>
    public static IDisposable Remove(string file)
    {
        var aside = file + ".aside";
        File.Move(file, aside);
        return new Restore(() => File.Move(aside, file));
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }
}
