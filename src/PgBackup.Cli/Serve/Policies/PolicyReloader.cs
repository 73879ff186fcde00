using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PgBackup.Cli.Serve.Policies;

/// <summary>
/// Reloads the policy directory when a file in it changes. Editors write a file in several steps
/// (truncate, write, rename), so changes are debounced and the directory is read once they settle.
/// </summary>
internal sealed class PolicyReloader(PolicyDirectory policies, ILogger<PolicyReloader> log) : BackgroundService
{
    public static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(500);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var changed = new SemaphoreSlim(0);
        using var watcher = new FileSystemWatcher(policies.Path)
        {
            IncludeSubdirectories = false,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        FileSystemEventHandler onChange = (_, _) => changed.Release();
        watcher.Changed += onChange;
        watcher.Created += onChange;
        watcher.Deleted += onChange;
        watcher.Renamed += (_, _) => changed.Release();
        watcher.EnableRaisingEvents = true;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await changed.WaitAsync(stoppingToken);
                do await Task.Delay(Debounce, stoppingToken);
                while (DrainPending(changed));
                log.LogInformation("Policy directory {Directory} changed; reloading", policies.Path);
                policies.Reload();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>True when more changes arrived during the quiet period (then wait again).</summary>
    private static bool DrainPending(SemaphoreSlim changed)
    {
        var any = false;
        while (changed.Wait(0)) any = true;
        return any;
    }
}
