namespace PgBackup.Tests.Integration.Sandbox;

/// <summary>
/// What `scripts/sandbox.sh up` wrote to `.sandbox/endpoints.env` (KEY=value lines): the one
/// contract between the sandbox script and the tests.
/// </summary>
public sealed record SandboxEndpoints(IReadOnlyDictionary<string, string> Values, string Directory)
{
    public static SandboxEndpoints Load()
    {
        var dir = Environment.GetEnvironmentVariable("PGBACKUP_SANDBOX_DIR") ?? Path.Combine(RepositoryRoot(), ".sandbox");
        var file = Path.Combine(dir, "endpoints.env");
        if (!File.Exists(file))
            throw new InvalidOperationException($"{file} not found: start the sandbox first with scripts/sandbox.sh up");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(file))
        {
            var eq = line.IndexOf('=');
            if (eq <= 0 || line.StartsWith('#')) continue;
            values[line[..eq]] = line[(eq + 1)..].Trim('"', '\'');
        }
        return new SandboxEndpoints(values, dir);
    }

    public string this[string key] => Values.TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"{key} missing from endpoints.env");

    public IReadOnlyList<string> PatroniUrls => this["SANDBOX_PATRONI_URLS"].Split(',');
    public IReadOnlyList<int> PgPorts => this["SANDBOX_PG_PORTS"].Split(',').Select(int.Parse).ToList();
    public string S3Url => this["SANDBOX_S3_URL"];
    public string S3AccessKey => this["SANDBOX_S3_ACCESS_KEY"];
    public string S3SecretKey => this["SANDBOX_S3_SECRET_KEY"];
    public string S3Bucket => this["SANDBOX_S3_BUCKET"];
    public string ReplicationUser => this["SANDBOX_REPL_USER"];
    public string ReplicationPassword => this["SANDBOX_REPL_PASSWORD"];
    public string Superuser => this["SANDBOX_SUPERUSER"];
    public string SuperuserPassword => this["SANDBOX_SUPERUSER_PASSWORD"];

    public static string RepositoryRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "PgBackup.sln")))
            dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("PgBackup.sln not found above " + AppContext.BaseDirectory);
    }
}
