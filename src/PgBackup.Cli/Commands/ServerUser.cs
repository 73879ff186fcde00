using System.CommandLine;
using PgBackup.Errors;

namespace PgBackup.Cli.Commands;

/// <summary>The user a restored server runs as: PostgreSQL refuses root, so as root it is --os-user (default postgres).</summary>
internal static class ServerUser
{
    /// <returns>Null when pgbackup does not run as root: the server runs as the current user.</returns>
    public static string? Of(ParseResult parse, Option<string?> osUser)
    {
        var given = parse.GetValue(osUser);
        if (Environment.UserName == "root") return given ?? "postgres";
        return given is null ? null : throw new UsageException("--os-user only works when pgbackup runs as root");
    }
}
