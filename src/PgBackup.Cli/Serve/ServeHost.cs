using Hangfire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PgBackup.Cli.Serve.Api;
using PgBackup.Cli.Serve.Archiver;
using PgBackup.Cli.Serve.Jobs;
using PgBackup.Cli.Serve.Metrics;
using PgBackup.Cli.Serve.Policies;
using PgBackup.Cli.Serve.Security;
using PgBackup.Cli.Serve.Status;
using Serilog;

namespace PgBackup.Cli.Serve;

/// <summary>
/// The `serve` process: ASP.NET Core for the dashboard, API and metrics, a Hangfire server running
/// the policies' jobs, the policy directory watched for changes, and the WAL archivers.
/// </summary>
internal static class ServeHost
{
    /// <summary>This process among the `serve` instances sharing a job storage: its Hangfire server and its archiver leases.</summary>
    private static readonly string Instance = $"{Environment.MachineName}:{Environment.ProcessId}";

    public static async Task RunAsync(ServeOptions options)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSerilog(Log.Logger, dispose: false);
        builder.WebHost.UseUrls([.. options.Urls]);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.JobStopTimeout + ServeOptions.CleanupGrace + TimeSpan.FromSeconds(5));
        // The scheme and host a trusted proxy was asked for, so links are right; who the caller is, AccessMiddleware decides itself.
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var network in options.TrustedProxies.Networks) o.KnownIPNetworks.Add(network);
        });

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(sp => new PolicyDirectory(options.PolicyDirectory, sp.GetRequiredService<ILogger<PolicyDirectory>>()));
        builder.Services.AddHostedService<PolicyReloader>();
        builder.Services.AddSingleton<RecurringJobSync>();
        builder.Services.AddSingleton<BackupStatusReader>();
        builder.Services.AddSingleton<StatusCollector>();
        builder.Services.AddSingleton<JobFailureCounter>();
        builder.Services.AddSingleton<ArchiverStatusBoard>();
        builder.Services.AddSingleton<IArchiverStatusSource>(sp => sp.GetRequiredService<ArchiverStatusBoard>());
        builder.Services.AddSingleton<WalArchiverAdapter>();
        builder.Services.AddSingleton(sp => new ArchiverLease(sp.GetRequiredService<JobStorage>(), Instance));
        builder.Services.AddSingleton(sp => new LeasedArchiver(sp.GetRequiredService<ArchiverLease>(), sp.GetRequiredService<WalArchiverAdapter>().RunAsync,
            sp.GetRequiredService<ILogger<LeasedArchiver>>()));
        builder.Services.AddHostedService(sp => new ArchiverSupervisor(sp.GetRequiredService<PolicyDirectory>(), sp.GetRequiredService<LeasedArchiver>().RunAsync,
            sp.GetRequiredService<ArchiverStatusBoard>(), sp.GetRequiredService<ILogger<ArchiverSupervisor>>()));
        builder.Services.AddSingleton<DrillStatusReader>();
        builder.Services.AddTransient<ClusterJob>();
        builder.Services.AddTransient<BackupJob>();
        builder.Services.AddTransient<ExpireJob>();
        builder.Services.AddTransient<VerifyJob>();
        builder.Services.AddTransient<DrillJob>();
        builder.Services.AddTransient<PolicyErrorJob>();

        builder.Services.AddHangfire((sp, c) => options.Storage.Configure(c
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseFilter(new SkippedRunFilter())
            .UseFilter(new StartSpreadFilter(sp.GetRequiredService<PolicyDirectory>()))));
        // Two servers, so backups have their own cap: expire, verify and drill never wait behind a night of backups.
        // The second runs workers only; the first already runs the schedulers and storage upkeep.
        AddJobServer(builder.Services, options, Instance, ["default"], options.Workers, workersOnly: false);
        AddJobServer(builder.Services, options, Instance + "/backups", [BackupJob.Queue], options.MaxConcurrentBackups, workersOnly: true);

        var app = builder.Build();
        if (!options.TrustedProxies.IsEmpty) app.UseForwardedHeaders();
        app.UseMiddleware<AccessMiddleware>();
        app.UseHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [new DashboardAccess()],
            DisplayStorageConnectionString = false,
            DashboardTitle = "PgBackup jobs",
            AppPath = null,
        });
        ApiEndpoints.Map(app);
        MetricsEndpoint.Map(app);

        var policies = app.Services.GetRequiredService<PolicyDirectory>();
        var sync = app.Services.GetRequiredService<RecurringJobSync>();
        policies.Reloaded += sync.Apply;
        policies.Reload();

        Log.Information("pgbackup serve {Instance}: policies {Directory}, job storage {Storage}, listening on {Urls}, at most {Backups} backups and {Workers} other jobs at once, on shutdown {Mode}{Auth}, {Proxies}",
            Instance, policies.Path, options.Storage.Description, string.Join(", ", options.Urls), options.MaxConcurrentBackups, options.Workers,
            options.OnShutdown.ToString().ToLowerInvariant(),
            options.Token is null ? " (loopback callers only)" : " (token required)",
            options.TrustedProxies.IsEmpty ? "no trusted proxies" : "trusted proxies " + options.TrustedProxies);
        await app.RunAsync();
    }

    private static void AddJobServer(IServiceCollection services, ServeOptions options, string name, string[] queues, int workers, bool workersOnly) =>
        services.AddHangfireServer(o =>
        {
            o.ServerName = name;
            o.IsLightweightServer = workersOnly;
            o.Queues = queues;
            o.WorkerCount = workers;
            o.SchedulePollingInterval = TimeSpan.FromSeconds(1);
            o.StopTimeout = options.JobStopTimeout;
            o.ShutdownTimeout = options.JobStopTimeout + ServeOptions.CleanupGrace;
        });
}
