using System.CommandLine;
using PgBackup.Cli.Hosting;
using PgBackup.Cli.Serve;
using PgBackup.Cli.Serve.Security;
using PgBackup.Cli.Serve.Storage;
using PgBackup.Errors;

namespace PgBackup.Cli.Commands;

/// <summary>`pgbackup serve`: scheduled jobs from a policy directory, the Hangfire dashboard, a JSON API and metrics.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var policies = new Option<string>("--policies") { Description = "Directory of policy files (*.yaml), one per cluster; reloaded when they change", Required = true };
        var urls = new Option<string[]>("--urls")
        {
            Description = $"Address(es) to listen on, separated by ';' or ',' or repeated (default {ServeOptions.DefaultUrl}); any non-loopback address requires a token",
            DefaultValueFactory = _ => [ServeOptions.DefaultUrl],
            AllowMultipleArgumentsPerToken = true,
        };
        var storage = new Option<string>("--storage")
        {
            Description = "Job storage: sqlite:PATH, postgres:env:VARIABLE or postgres:file:PATH (connection string from there)",
            DefaultValueFactory = _ => JobStorageSetting.DefaultValue,
        };
        var trustedProxies = new Option<string[]>("--trusted-proxies")
        {
            Description = "Reverse proxies (IP addresses or CIDR networks, separated by ',' or repeated) whose Forwarded, X-Forwarded-For and X-Real-IP headers name the caller; without any, a request carrying such a header is not trusted as loopback",
            AllowMultipleArgumentsPerToken = true,
        };
        var tokenFile = new Option<string?>("--token-file") { Description = $"File holding the access token for dashboard and API (else env {ServeToken.EnvironmentVariable})" };
        var onShutdown = ValidatedOption.OneOf("--on-shutdown", "cancel", ["cancel", "finish"],
            "On stop, cancel running jobs (the backup is discarded) or let them finish within --shutdown-timeout");
        var shutdownTimeout = ValidatedOption.WholeNumber("--shutdown-timeout", 0, 86_400, 600, "a number of seconds",
            "With --on-shutdown finish: seconds a running job may take before it is cancelled anyway (default 600)");
        var workers = ValidatedOption.WholeNumber("--workers", 1, 64, 4, "a number of jobs",
            "Expire, verify and drill jobs this instance runs at once, across clusters (default 4)");
        var maxBackups = ValidatedOption.WholeNumber("--max-concurrent-backups", 1, 64, 2, "a number of backups",
            "Backups this instance runs at once, across clusters (default 2; one per cluster at a time across all instances regardless); the rest wait in the backup queue");
        var command = new Command("serve", "Run scheduled backups from a policy directory, with the job dashboard (/hangfire), a JSON API (/api) and metrics (/metrics)")
        {
            policies, urls, trustedProxies, storage, tokenFile, onShutdown, shutdownTimeout, workers, maxBackups,
        };
        command.SetAction((parse, ct) => CommandRunner.Guard(async (_, _) =>
        {
            var directory = parse.GetRequiredValue(policies);
            if (!Directory.Exists(directory)) throw new UsageException($"--policies {directory} is not a directory");
            var bind = ListenAddresses.Parse(parse.GetRequiredValue(urls));
            var proxies = TrustedProxies.Parse(parse.GetValue(trustedProxies) ?? []);
            var token = ServeToken.Load(parse.GetValue(tokenFile));
            if (token is null && bind.FirstOrDefault(u => !ListenAddresses.IsLoopback(u)) is { } open)
                throw new UsageException($"listening on {open} (not loopback) needs authentication: set {ServeToken.EnvironmentVariable} or --token-file FILE, or listen on 127.0.0.1 only");
            var options = new ServeOptions(directory, bind, JobStorageSetting.Parse(parse.GetRequiredValue(storage)), token,
                parse.GetValue(onShutdown) == "finish" ? ShutdownMode.Finish : ShutdownMode.Cancel, TimeSpan.FromSeconds(parse.GetValue(shutdownTimeout)), parse.GetValue(workers), parse.GetValue(maxBackups), proxies);
            // The host handles SIGTERM/SIGINT itself to shut down gracefully (see CommandRunner).
            await ServeHost.RunAsync(options);
            return 0;
        }, ct));
        return command;
    }
}
