using System.Runtime.InteropServices;

namespace PgBackup.IO;

/// <summary>A second name for a file (link(2)), which .NET has no API for; a copy where the file system has no hard links.</summary>
internal static class HardLink
{
    public static void CreateOrCopy(string existing, string newName)
    {
        File.Delete(newName);
        if (OperatingSystem.IsWindows() || Link(existing, newName) != 0)
            File.Copy(existing, newName);
    }

    [DllImport("libc", EntryPoint = "link", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern int Link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string newName);
}
