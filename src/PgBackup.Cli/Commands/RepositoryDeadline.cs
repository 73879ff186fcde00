using System.CommandLine;
using PgBackup.Errors;

namespace PgBackup.Cli.Commands;

/// <summary>
/// A whole-command deadline for the verbs PostgreSQL calls (archive_command, restore_command): a
/// dead repository must make them fail fast so PostgreSQL retries, never hang the server's archiver.
/// </summary>
internal static class RepositoryDeadline
{
    public static Option<int> Create(int defaultSeconds) => new("--timeout")
    {
        Description = $"Give up after this many seconds (default {defaultSeconds})",
        DefaultValueFactory = _ => defaultSeconds,
    };

    public static async Task<T> RunAsync<T>(int seconds, string what, Func<CancellationToken, Task<T>> body, CancellationToken ct)
    {
        if (seconds <= 0)
            throw new UsageException("--timeout must be a positive number of seconds");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(seconds));
        try
        {
            return await body(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new RepositoryException($"{what} did not finish within {seconds} s: the repository is unreachable or too slow (PostgreSQL retries the command)");
        }
    }
}
