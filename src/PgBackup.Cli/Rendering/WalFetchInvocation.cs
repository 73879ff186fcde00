using System.Diagnostics;

namespace PgBackup.Cli.Rendering;

/// <summary>How the restored server calls us back: restore_command = this very pgbackup's wal-fetch, with the same policy.</summary>
internal static class WalFetchInvocation
{
    /// <param name="serverUser">The OS user the restored server will run as, when we can tell (we run as root); null otherwise.</param>
    public static string RestoreCommand(string policyFile, string? serverUser)
    {
        var self = Environment.ProcessPath ?? "pgbackup";
        // Run through `dotnet pgbackup.dll` (tests, development): the host needs the assembly path too.
        var viaHost = Path.GetFileNameWithoutExtension(self) == "dotnet";
        var files = viaHost ? new[] { self, typeof(WalFetchInvocation).Assembly.Location, policyFile } : [self, policyFile];
        if (serverUser is not null && !Reachable(serverUser, files))
        {
            // PostgreSQL treats "command not found / not executable" as fatal; a plain failure means
            // "not archived" and recovery goes on with the WAL this restore put into pg_wal.
            return $"echo 'pgbackup or its policy is not readable by {serverUser}: WAL beyond what restore fetched is unavailable' >&2; exit 1";
        }
        var program = viaHost ? $"{ShellQuote(self)} {ShellQuote(files[1])}" : ShellQuote(self);
        return $"{program} wal-fetch %f %p --policy {ShellQuote(policyFile)}";
    }

    private static bool Reachable(string user, string[] files)
    {
        var psi = new ProcessStartInfo("setpriv") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "--reuid=" + user, "--regid=" + user, "--init-groups", "sh", "-c", "for f; do test -r \"$f\" || exit 1; done", "sh" }.Concat(files))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode == 0;
    }

    /// <summary>PostgreSQL runs restore_command through /bin/sh: quote anything that is not plainly safe.</summary>
    private static string ShellQuote(string s) =>
        s.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '+' or ':' or '=')
            ? s
            : "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
