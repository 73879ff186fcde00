using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace PgBackup.IO;

/// <summary>
/// The OS user another process runs as (the restored server), for files written after its
/// directories were given to it: .NET has no chown. A hard link to a file someone else owns is
/// refused by fs.protected_hardlinks, and PostgreSQL must be able to recycle what it replayed.
/// </summary>
internal sealed record FileOwner(uint Uid, uint Gid)
{
    public static FileOwner Of(string user) => new(Id(user, "-u"), Id(user, "-g"));

    public void Apply(string path)
    {
        if (Chown(path, Uid, Gid) != 0)
            throw new IOException($"cannot give {path} to uid {Uid} (errno {Marshal.GetLastPInvokeError()})");
    }

    private static uint Id(string user, string which)
    {
        var psi = new ProcessStartInfo("id", [which, user]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var id = Process.Start(psi)!;
        var output = id.StandardOutput.ReadToEnd();
        id.WaitForExit();
        return id.ExitCode == 0 && uint.TryParse(output.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new IOException($"`id {which} {user}` failed: {id.StandardError.ReadToEnd().Trim()}");
    }

    [DllImport("libc", EntryPoint = "chown", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern int Chown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint uid, uint gid);
}
