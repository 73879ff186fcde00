using System.CommandLine;

namespace PgBackup.Cli.Hosting;

/// <summary>Options every verb understands.</summary>
internal static class GlobalOptions
{
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Log progress and decisions to stderr (also: PGBACKUP_LOG_LEVEL=debug|info|warning)",
        Recursive = true,
    };

    public static readonly Option<string?> LogFile = new("--log-file")
    {
        Description = "Also write a detailed log, with stack traces of unexpected failures, to this file (also: PGBACKUP_LOG_FILE)",
        Recursive = true,
    };

    public static IEnumerable<Option> All => [Verbose, LogFile];
}
