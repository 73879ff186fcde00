using System.Globalization;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Retention;

/// <summary>
/// One backup with archived WAL after it (several complete segments), shared by the verify and
/// drill facts. Each fact that damages an object puts it back before it ends.
/// </summary>
public sealed class VerifiedRepository : IAsyncLifetime
{
    public ArchivedSandbox Repo { get; } = new(new SandboxFixture());

    public string BackupId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Repo.LeaderAsync("CREATE TABLE IF NOT EXISTS verify_marker (n int)");
        BackupId = await Repo.BackupAsync();
        for (var i = 0; i < 3; i++)
        {
            await Repo.LeaderAsync("INSERT INTO verify_marker SELECT generate_series(1, 1000)");
            await Repo.SwitchWalAndWaitArchivedAsync();
        }
    }

    public async Task DisposeAsync() => await Repo.DisposeAsync();

    public string BackupDirectory => Path.Combine(Repo.ClusterRoot, "backups", BackupId);

    /// <summary>An archived segment after the backup's end with others after it: removing it opens a gap.</summary>
    public string MiddleWalSegment()
    {
        var timeline = Directory.GetDirectories(Path.Combine(Repo.ClusterRoot, "wal")).Select(Path.GetFileName).Max(StringComparer.Ordinal)!;
        var segments = Repo.ArchivedSegments(uint.Parse(timeline, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        return Path.Combine(Repo.ClusterRoot, "wal", timeline, segments[^2]);
    }

    /// <summary>Flips one byte of <paramref name="file"/> (by default in its middle) until the returned scope ends.</summary>
    public static IDisposable FlipByte(string file, int? at = null)
    {
        var original = File.ReadAllBytes(file);
        var damaged = (byte[])original.Clone();
        damaged[at ?? damaged.Length / 2] ^= 0x5A;
        File.WriteAllBytes(file, damaged);
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
