using Microsoft.Extensions.Logging;
using PgBackup.Policies;
using Spectre.Console;
using PgBackup.IO;

namespace PgBackup.Cli.Rendering;

/// <summary>
/// Shows a long transfer's progress: a live bar (bytes, MB/s, ETA, current file) when stderr is a
/// terminal, otherwise one log line every few seconds, so cron mails and journald see it too.
/// </summary>
internal static class TransferProgress
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(5);

    public static async Task<T> RunAsync<T>(string title, ILogger log, Func<IProgress<CopyProgress>, Task<T>> work)
    {
        if (Console.IsErrorRedirected)
        {
            var last = DateTime.MinValue;
            var progress = new Reporter(p =>
            {
                if (DateTime.UtcNow - last < LogInterval) return;
                last = DateTime.UtcNow;
                log.LogInformation("{Title}: {Line}", title, Describe(p));
            });
            return await work(progress).ConfigureAwait(false);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(),
                new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(title, maxValue: 1);
                var result = await work(new Reporter(p =>
                {
                    task.MaxValue = Math.Max(p.BytesTotal ?? p.BytesDone, p.BytesDone);
                    task.Value = p.BytesDone;
                    task.Description = Markup.Escape($"{title} {p.Phase} {Shorten(p.CurrentFile)}");
                })).ConfigureAwait(false);
                task.Value = task.MaxValue;
                task.StopTask();
                return result;
            }).ConfigureAwait(false);
    }

    public static string Describe(CopyProgress p)
    {
        var total = p.BytesTotal is { } t && t > 0 ? $" of {ByteSize.Format(t)} ({100.0 * p.BytesDone / t:0}%)" : "";
        var eta = p.Remaining is { } r ? $", ETA {r:hh\\:mm\\:ss}" : "";
        return $"{p.Phase} {ByteSize.Format(p.BytesDone)}{total}, {p.BytesPerSecond / 1e6:0.0} MB/s{eta}{(p.CurrentFile is null ? "" : ", " + p.CurrentFile)}";
    }

    private static string Shorten(string? file) => file is null ? "" : file.Length <= 30 ? file : "…" + file[^29..];

    /// <summary>Reports synchronously on the caller's thread: Progress&lt;T&gt; would queue reports out of order.</summary>
    private sealed class Reporter(Action<CopyProgress> report) : IProgress<CopyProgress>
    {
        private readonly Lock _lock = new();

        public void Report(CopyProgress value)
        {
            lock (_lock) report(value);
        }
    }
}
