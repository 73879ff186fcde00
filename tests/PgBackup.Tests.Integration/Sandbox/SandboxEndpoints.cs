namespace PgBackup.Tests.Integration.Sandbox;

/// <summary>
/// What `scripts/sandbox.sh up` wrote to `.sandbox/endpoints.env` (KEY=value lines): the one
/// contract between the sandbox script and the tests.
/// </summary>
public sealed record SandboxEndpoints(IReadOnlyDictionary<string, string> Values, string Directory)
{
    public static SandboxEndpoints Load()
    {
        var dir = Environment.GetEnvironmentVariable("PGBACKUP_SANDBOX_DIR") is { Length: > 0 } set ? set : Path.Combine(RepositoryRoot(), ".sandbox");
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
    public IReadOnlyList<string> Members => this["SANDBOX_MEMBERS"].Split(',');

    /// <summary>The PostgreSQL port of a member by name (m1, m2, ...), as the sandbox assigned it.</summary>
    public int PgPortOf(string member)
    {
        var i = Members.ToList().IndexOf(member);
        return i >= 0 ? PgPorts[i] : throw new KeyNotFoundException($"{member} is not a sandbox member ({string.Join(", ", Members)})");
    }

    /// <summary>
    /// PGBACKUP_SANDBOX_PORT_BASE of this sandbox: sandbox.sh puts the first Patroni REST API at
    /// base + 10. Passed to every sandbox.sh call so it never acts on another sandbox's ports.
    /// </summary>
    public int PortBase => new Uri(PatroniUrls[0]).Port - 10;

    /// <summary>Where the postgres-owned state (PGDATA of each member) lives; sandbox.sh records it in run-dir.</summary>
    public string RunDirectory => File.ReadAllText(Path.Combine(Directory, "run-dir")).Trim();
    /// <summary>The sandbox major's PostgreSQL binaries on this host (15's own, or the links sandbox.sh makes into a chroot).</summary>
    public string PgBin => this["SANDBOX_PG_BIN"];

    public string S3Url => this["SANDBOX_S3_URL"];
    public string S3AccessKey => this["SANDBOX_S3_ACCESS_KEY"];
    public string S3SecretKey => this["SANDBOX_S3_SECRET_KEY"];
    public string S3Bucket => this["SANDBOX_S3_BUCKET"];
    public string ReplicationUser => this["SANDBOX_REPL_USER"];
    public string ReplicationPassword => this["SANDBOX_REPL_PASSWORD"];
    public string Superuser => this["SANDBOX_SUPERUSER"];
    public string SuperuserPassword => this["SANDBOX_SUPERUSER_PASSWORD"];

    /// <summary>The superuser's connection to the members on <paramref name="ports"/> (several: whichever answers as the session attributes ask).</summary>
    public Npgsql.NpgsqlConnectionStringBuilder SuperuserConnection(IEnumerable<int> ports, string database = "postgres") => new()
    {
        Host = string.Join(",", ports.Select(p => "127.0.0.1:" + p.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        Username = Superuser,
        Password = SuperuserPassword,
        Database = database,
    };

    /// <summary>The sandbox's own policy (its ports, an S3 prefix of its own), which its Patroni members' pgbackup replica method uses.</summary>
    public string PolicyPath => this["SANDBOX_POLICY"];

    public static string RepositoryRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "PgBackup.sln")))
            dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("PgBackup.sln not found above " + AppContext.BaseDirectory);
    }
}
