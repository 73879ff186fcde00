using System.Runtime.InteropServices;

namespace PgBackup.Cli.Hosting;

/// <summary>
/// glibc's malloc gives threads that allocate at the same time arenas of their own, up to eight
/// per core, and keeps what is freed in them. zstd's contexts (ZstdSharp allocates them natively,
/// one per object compressed or decompressed) land in many arenas that way: `serve` with 30 idle
/// archivers measured 199 MiB resident by default and 166 MiB with two arenas, of which 15 MiB
/// were live managed objects. Two arenas, as MALLOC_ARENA_MAX=2 would, unless the environment
/// already says otherwise.
/// </summary>
internal static class NativeHeap
{
    /// <summary>M_ARENA_MAX in glibc's malloc.h.</summary>
    private const int ArenaMax = -8;

    public static void LimitArenas()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null) return;
        try
        {
            Mallopt(ArenaMax, 2);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl has no arenas to limit).
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int param, int value);
}
