using PgBackup.Errors;

namespace PgBackup.Cli.Serve.Security;

/// <summary>The access token of `serve`, from --token-file or PGBACKUP_SERVE_TOKEN; never from the command line, where ps shows it.</summary>
internal static class ServeToken
{
    public const string EnvironmentVariable = "PGBACKUP_SERVE_TOKEN";

    /// <summary>Guessable tokens would make a non-loopback bind look protected when it is not.</summary>
    public const int MinimumLength = 16;

    public static string? Load(string? file)
    {
        string? token;
        string origin;
        if (file is not null)
        {
            try { token = File.ReadAllText(file).Trim(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot read --token-file {file}: {e.Message}");
            }
            origin = "--token-file " + file;
        }
        else
        {
            token = Environment.GetEnvironmentVariable(EnvironmentVariable)?.Trim();
            origin = EnvironmentVariable;
        }
        if (string.IsNullOrEmpty(token)) return file is null ? null : throw new UsageException($"{origin} is empty; put a random token of at least {MinimumLength} characters in it");
        if (token.Length < MinimumLength)
            throw new UsageException($"the token from {origin} has {token.Length} characters; use at least {MinimumLength} (e.g. `openssl rand -hex 24`)");
        return token;
    }
}
