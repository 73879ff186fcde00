using Microsoft.AspNetCore.Http;

namespace PgBackup.Cli.Serve.Security;

/// <summary>Applies <see cref="AccessRule"/> to every request except the liveness probe, after forwarded headers set the caller's address.</summary>
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
        if (AccessRule.Decide(_token, context.Connection.RemoteIpAddress, context.Request.Headers.Authorization) == AccessDecision.Allow)
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
