using Hangfire.Dashboard;

namespace PgBackup.Cli.Serve.Security;

/// <summary>
/// Replaces Hangfire's default dashboard filter, which admits any loopback caller (behind a proxy on
/// the same host: everyone), with ours: only requests <see cref="AccessMiddleware"/> let through.
/// </summary>
internal sealed class DashboardAccess : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context) =>
        context.GetHttpContext().Items.ContainsKey(AccessMiddleware.AllowedItem);
}
