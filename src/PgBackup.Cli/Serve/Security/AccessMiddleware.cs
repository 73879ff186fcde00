using Microsoft.AspNetCore.Http;

namespace PgBackup.Cli.Serve.Security;

/// <summary>Applies <see cref="AccessRule"/> to every request except the liveness probe, to the caller <see cref="ForwardedClient"/> finds.</summary>
internal sealed class AccessMiddleware(RequestDelegate next, ServeOptions options)
{
    private readonly string? _token = options.Token;

    public const string AllowedItem = "pgbackup.access";

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.Equals("/healthz", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }
        var headers = context.Request.Headers;
        var caller = ForwardedClient.Resolve(context.Connection.RemoteIpAddress, headers["Forwarded"], headers["X-Forwarded-For"], headers["X-Real-IP"], options.TrustedProxies);
        if (AccessRule.Decide(_token, caller, headers.Authorization) == AccessDecision.Allow)
        {
            context.Items[AllowedItem] = true;
            await next(context);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"pgbackup\", charset=\"UTF-8\"";
        await context.Response.WriteAsync(_token is null
            ? $"unauthorized: remote access needs a token; start serve with {ServeToken.EnvironmentVariable} or --token-file\n"
            : "unauthorized: send the token as a bearer token or as the basic-auth password\n");
    }
}
