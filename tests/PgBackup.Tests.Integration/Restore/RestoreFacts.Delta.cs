using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using PgBackup.Tests.Integration.Sandbox;

namespace PgBackup.Tests.Integration.Restore;

/// <summary>--delta: over an earlier restore that ran (so its files moved on), the result equals a fresh restore.</summary>
public sealed partial class RestoreFacts
{
    [Fact]
    public async Task A_delta_over_an_earlier_restore_equals_a_fresh_one_and_rewrites_only_changed_files()
    {
        var xid = history.XidOfMarker5.ToString(CultureInfo.InvariantCulture);
        await using var delta = new RestoredDirectory();
        await RestoreAndStartAsync(delta, "--latest", "--stop-after");

        // Damage the earlier copy the ways an operator's would be: a file changed, a stray file added.
        var template1 = Path.Combine(delta.PgData, "base", "1");
        var bySize = new DirectoryInfo(template1).GetFiles().Where(f => char.IsAsciiDigit(f.Name[0])).OrderByDescending(f => f.Length).ToList();
        var (untouched, damaged) = (bySize[0].FullName, bySize[1].FullName);
        await using (var file = new FileStream(damaged, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = 100;
            var b = file.ReadByte();
            file.Position = 100;
            file.WriteByte((byte)~b);
        }
        var stray = Path.Combine(template1, "999999");
        await File.WriteAllTextAsync(stray, "not from the backup");
        var (inodeBefore, mtimeBefore) = (Inode(untouched), File.GetLastWriteTimeUtc(untouched));

        await using var fresh = new RestoredDirectory();
        var run = await RestoreAsync([.. fresh.RestoreArgs, "--xid", xid]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("0", SummaryLine().Match(run.Stdout).Groups["kept"].Value);
        var freshFiles = Checksums(fresh.PgData);
        // The backup's files the earlier copy still holds unchanged: exactly these may be kept.
        var before = Checksums(delta.PgData);
        var unchanged = freshFiles.Count(f => !RestoreAdded(f.Key) && before.GetValueOrDefault(f.Key) == f.Value);

        run = await RestoreAsync([.. delta.RestoreArgs, "--delta", "--xid", xid]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var summary = SummaryLine().Match(run.Stdout);
        Assert.True(summary.Success, run.Stdout);
        Assert.True(unchanged > 100, $"only {unchanged} unchanged file(s): the earlier restore moved on more than expected");
        Assert.Equal(unchanged, int.Parse(summary.Groups["kept"].Value, CultureInfo.InvariantCulture));
        Assert.Equal(inodeBefore, Inode(untouched));
        Assert.Equal(mtimeBefore, File.GetLastWriteTimeUtc(untouched));
        Assert.False(File.Exists(stray), "--delta left a file the backup does not have");

        // Same bytes in every file, except the settings the restore appends (they name the directory and the time).
        var deltaFiles = Checksums(delta.PgData);
        Assert.Equal(freshFiles.Keys.Order(), deltaFiles.Keys.Order());
        Assert.All(freshFiles, f => Assert.True(f.Value == deltaFiles[f.Key], $"{f.Key} differs between the delta and the fresh restore"));
        VerifyBackup(delta.PgData);

        await delta.StartAndWaitPromotedAsync(TimeSpan.FromSeconds(120));
        await fresh.StartAndWaitPromotedAsync(TimeSpan.FromSeconds(120));
        const string contentSum = $"SELECT md5(string_agg(id || ' ' || at, ',' ORDER BY id)) FROM {RestoreHistory.Table}";
        Assert.Equal(Upto(5), await MarkersAsync(delta));
        Assert.Equal(await fresh.QueryAsync(contentSum), await delta.QueryAsync(contentSum));
    }

    /// <summary>Files a restore writes every time rather than from the backup's file list (WAL, the manifest, recovery.signal).</summary>
    private static bool RestoreAdded(string relative) =>
        relative.StartsWith("pg_wal/", StringComparison.Ordinal) || relative is "backup_manifest" or "recovery.signal";

    /// <summary>SHA-256 of every regular file under PGDATA by relative path, but postgresql.auto.conf.</summary>
    private static Dictionary<string, string> Checksums(string pgData) =>
        Directory.EnumerateFiles(pgData, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "postgresql.auto.conf")
            .ToDictionary(f => Path.GetRelativePath(pgData, f), f =>
            {
                using var stream = File.OpenRead(f);
                return Convert.ToHexStringLower(SHA256.HashData(stream));
            });

    /// <summary>pg_verifybackup against the backup_manifest the restore put back: every file as PostgreSQL recorded it.</summary>
    private void VerifyBackup(string pgData)
    {
        var psi = new ProcessStartInfo(Path.Combine(Fixture.Endpoints.PgBin, "pg_verifybackup")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--no-parse-wal", pgData }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        output.WriteLine($"pg_verifybackup: {stdout.Result}{stderr}");
        Assert.True(p.ExitCode == 0, $"pg_verifybackup {pgData}: {stdout.Result}{stderr}");
    }

    private static long Inode(string path)
    {
        using var p = Process.Start(new ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        var inode = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return long.Parse(inode, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"restored backup \S+ into .* written, (?<kept>\d+) file\(s\) kept as they were")]
    private static partial Regex SummaryLine();
}
