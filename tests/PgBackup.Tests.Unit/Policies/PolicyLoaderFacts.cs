using PgBackup.Errors;
using PgBackup.Policies;
using PgBackup.Postgres.Replication;

namespace PgBackup.Tests.Unit.Policies;

public sealed class PolicyLoaderFacts
{
    /// <summary>The smallest valid policy; other policy facts extend it.</summary>
    internal const string Minimal = """
        cluster: main
        patroni:
          urls: [http://127.0.0.1:8008]
        connection:
          user: pgbackup
        repository:
          type: local
          path: /var/backups/pg
        """;

    [Fact]
    public void The_documented_example_loads_with_every_key()
    {
        Environment.SetEnvironmentVariable("PGBACKUP_PASSWORD", "x");
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "a");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "s");
        var p = PolicyLoader.Load(Path.Combine(TestData.RepoRoot(), "policies", "example.yaml"));
        Assert.Equal("main", p.Cluster);
        Assert.Equal(3, p.Patroni.Urls.Count);
        Assert.Equal(RepositoryKind.S3, p.Repository.Kind);
        Assert.Equal("pg-backups", p.Repository.S3!.Bucket);
        Assert.Equal(16L << 20, p.Source.MaxLagBytes);
        Assert.Equal("Europe/Berlin", p.Schedules.TimeZone);
        Assert.Equal(7, p.Retention.FullCount);
        Assert.Equal("pgbackup_main", p.Archive.SlotName);
        Assert.Equal(TimeSpan.FromSeconds(60), p.Backup.RetryWait);
        Assert.Equal("0 2 * * 1-6", p.Schedules.Incr);
        Assert.Equal(7, p.Backup.MaxChain);
    }

    [Fact]
    public void Backup_type_and_chain_length_are_read_with_their_defaults()
    {
        var minimal = PolicyLoader.Parse("p.yaml", Minimal);
        Assert.Equal(PgBackup.Repository.Catalog.BackupType.Full, minimal.Backup.Type);
        Assert.Equal(7, minimal.Backup.MaxChain);
        var p = PolicyLoader.Parse("p.yaml", Minimal + "\nbackup:\n  compression: client\n  type: incr\n  max_chain: 3\nschedules:\n  diff: \"0 3 * * *\"\n");
        Assert.Equal(PgBackup.Repository.Catalog.BackupType.Incr, p.Backup.Type);
        Assert.Equal(3, p.Backup.MaxChain);
        Assert.Equal("0 3 * * *", p.Schedules.Diff);
    }

    [Theory]
    [InlineData("backup:\n  type: incr\n", "p.yaml:10: backup.type: incr backups need backup.compression: client")]
    [InlineData("schedules:\n  incr: \"0 2 * * *\"\n", "p.yaml:10: schedules.incr: '0 2 * * *' schedules incr backups, which need backup.compression: client")]
    [InlineData("backup:\n  type: weekly\n", "backup.type")]
    public void Incrementals_without_client_chunks_are_refused_at_their_line(string section, string expected)
    {
        var e = Assert.Throws<UsageException>(() => PolicyLoader.Parse("p.yaml", Minimal + "\n" + section));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_apply_to_a_minimal_policy()
    {
        var p = PolicyLoader.Parse("p.yaml", Minimal);
        Assert.Equal(TimeSpan.FromSeconds(1), p.Archive.PartialInterval);
        Assert.Equal(LeaderUse.Never, p.Source.Leader);
        Assert.Equal(ArchiveSource.ReplicaPreferred, p.Archive.Source);
        Assert.Equal(SslMode.Prefer, p.Connection.SslMode);
        Assert.Equal("/var/backups/pg", p.Repository.Path);
        Assert.Equal(0, p.Backup.Retries);
    }

    [Fact]
    public void A_misspelt_key_is_named_with_its_line()
    {
        var e = Assert.Throws<UsageException>(() => PolicyLoader.Parse("p.yaml", Minimal + "\nsource:\n  max_lagg: 1MB\n"));
        Assert.Equal("p.yaml:10: source.max_lagg: unknown key; did you mean 'max_lag'? (every key is in policies/example.yaml)", e.Message);
    }

    [Fact]
    public void An_unknown_key_like_no_known_key_is_named_without_a_guess()
    {
        var e = Assert.Throws<UsageException>(() => PolicyLoader.Parse("p.yaml", Minimal + "\nsource:\n  colour: blue\n"));
        Assert.Equal("p.yaml:10: source.colour: unknown key; see policies/example.yaml for every key", e.Message);
    }

    [Fact]
    public void A_misspelt_required_key_is_reported_as_the_typo_not_as_the_missing_key()
    {
        var yaml = Minimal.Replace("  type: local\n  path: /var/backups/pg", "  type: s3\n  s3:\n    bukket: pg\n");
        var e = Assert.Throws<UsageException>(() => PolicyLoader.Parse("p.yaml", yaml));
        Assert.Equal("p.yaml:9: repository.s3.bukket: unknown key; did you mean 'bucket'? (every key is in policies/example.yaml)", e.Message);
    }

    [Fact]
    public void A_misspelt_required_section_is_reported_as_the_typo()
    {
        var e = Assert.Throws<UsageException>(() => PolicyLoader.Parse("p.yaml", Minimal.Replace("repository:", "repositry:")));
        Assert.StartsWith("p.yaml:6: repositry: unknown key; did you mean 'repository'?", e.Message);
    }

    [Theory]
    [InlineData("", "p.yaml:1: the policy file is empty")]
    [InlineData("# nothing but a comment\n", "p.yaml:1: the policy file is empty")]
    [InlineData("- cluster: main\n- patroni: x\n", "p.yaml:1: a policy must be a YAML mapping (key: value lines), not a list")]
    [InlineData("just words\n", "p.yaml:1: a policy must be a YAML mapping (key: value lines), not a single value")]
    [InlineData("cluster: main\npatroni:\n  - urls: x\n", "p.yaml:2: patroni: expected a mapping")]
    [InlineData("cluster: main\npatroni:\n\turls: [x]\n", "p.yaml:3: a tab in the indentation; YAML indents with spaces only")]
    [InlineData("cluster: main\ncluster: other\n", "p.yaml:2: 'cluster' appears twice in the same section")]
    [InlineData("cluster: [main\npatroni: x\n", "p.yaml:1: not valid YAML: a [list] or {mapping} that is not closed")]
    [InlineData("cluster: \"main\n", "p.yaml:1: not valid YAML: While scanning a quoted scalar")]
    [InlineData("cluster: main\n  patroni: x\n", "p.yaml:2: not valid YAML")]
    [InlineData("cluster: *nowhere\n", "p.yaml:1: not valid YAML")]
    [InlineData("cluster: a\n---\ncluster: b\n", "p.yaml:3: a second YAML document (after ---)")]
    public void Every_malformed_shape_is_a_usage_error_at_its_line(string yaml, string expected)
    {
        var e = Assert.Throws<UsageException>(() => PolicyLoader.Parse("p.yaml", yaml));
        Assert.StartsWith(expected, e.Message);
    }

    [Fact]
    public void A_duplicate_section_is_reported_at_its_second_occurrence()
    {
        var e = Assert.Throws<UsageException>(() => PolicyLoader.Parse("p.yaml", Minimal + "\nconnection:\n  user: other\n"));
        Assert.StartsWith("p.yaml:9: 'connection' appears twice", e.Message);
    }

    [Fact]
    public void Retry_wait_defaults_to_a_minute_and_reads_a_duration()
    {
        Assert.Equal(TimeSpan.FromSeconds(60), PolicyLoader.Parse("p.yaml", Minimal).Backup.RetryWait);
        Assert.Equal(TimeSpan.FromMinutes(2), PolicyLoader.Parse("p.yaml", Minimal + "\nbackup:\n  retry_wait: 2min\n").Backup.RetryWait);
    }

    [Theory]
    [InlineData("60", "is not a duration")]
    [InlineData("2h", "is longer than 1h")]
    [InlineData("-5s", "is not a duration")]
    public void A_bad_retry_wait_is_named(string value, string expected)
    {
        var e = Assert.Throws<UsageException>(() => PolicyLoader.Parse("p.yaml", Minimal + $"\nbackup:\n  retry_wait: {value}\n"));
        Assert.StartsWith("p.yaml:10: backup.retry_wait: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void An_inline_password_is_refused_with_the_alternatives()
    {
        var yaml = Minimal.Replace("  user: pgbackup", "  user: pgbackup\n  password: hunter2");
        var e = Assert.Throws<UsageException>(() => PolicyLoader.Parse("p.yaml", yaml));
        Assert.StartsWith("p.yaml:6: connection.password: secrets are never written inline", e.Message);
        Assert.DoesNotContain("hunter2", e.Message);
    }

    [Fact]
    public void A_missing_password_env_variable_is_named()
    {
        var yaml = Minimal.Replace("  user: pgbackup", "  user: pgbackup\n  password_env: PGBACKUP_TEST_UNSET_VARIABLE");
        var e = Assert.Throws<UsageException>(() => PolicyLoader.Parse("p.yaml", yaml));
        Assert.Contains("PGBACKUP_TEST_UNSET_VARIABLE is not set", e.Message);
    }

    [Fact]
    public void A_password_file_is_read_relative_to_the_policy_and_never_rendered()
    {
        var dir = Directory.CreateTempSubdirectory();
        File.WriteAllText(Path.Combine(dir.FullName, "pw"), "s3cret\n");
        var yaml = Minimal.Replace("  user: pgbackup", "  user: pgbackup\n  password_file: pw");
        var p = PolicyLoader.Parse(Path.Combine(dir.FullName, "p.yaml"), yaml);
        Assert.Equal("s3cret", p.Connection.Password!.Reveal());
        Assert.DoesNotContain("s3cret", p.ToString());
        dir.Delete(true);
    }

    [Theory]
    [InlineData("source:\n  max_lag: lots", "p.yaml:10: source.max_lag: 'lots' is not a size")]
    [InlineData("archive:\n  partial_interval: soon", "p.yaml:10: archive.partial_interval: 'soon' is not a duration")]
    [InlineData("schedules:\n  full: every night", "p.yaml:10: schedules.full: 'every night' is not a cron expression")]
    [InlineData("schedules:\n  full: \"99 2 * * *\"", "p.yaml:10: schedules.full: '99 2 * * *' is not a cron expression: ")]
    [InlineData("schedules:\n  jitter: 7h", "p.yaml:10: schedules.jitter: '7h' is longer than 6h")]
    [InlineData("schedules:\n  timezone: Mars/Olympus", "p.yaml:10: schedules.timezone: 'Mars/Olympus' is not a known time zone")]
    [InlineData("source:\n  allow_leader: maybe", "p.yaml:10: source.allow_leader: 'maybe' is not true or false")]
    [InlineData("archive:\n  lease_timeout: 1s", "p.yaml:10: archive.lease_timeout: '1s' is shorter than 3s")]
    [InlineData("archive:\n  source: primary", "p.yaml:10: archive.source: 'primary' is not one of: replica-preferred, replica-only, leader")]
    public void Bad_values_name_file_line_and_key(string extra, string expected)
    {
        var e = Assert.Throws<UsageException>(() => PolicyLoader.Parse("p.yaml", Minimal + "\n" + extra + "\n"));
        Assert.StartsWith(expected, e.Message);
    }

    [Fact]
    public void A_missing_section_is_named()
    {
        var e = Assert.Throws<UsageException>(() => PolicyLoader.Parse("p.yaml", "cluster: x\n"));
        Assert.Equal("p.yaml:1: patroni: required section is missing; see policies/example.yaml", e.Message);
    }

    [Fact]
    public void Broken_yaml_is_reported_with_its_line()
    {
        var e = Assert.Throws<UsageException>(() => PolicyLoader.Parse("p.yaml", "cluster: x\npatroni: [\n"));
        Assert.StartsWith("p.yaml:", e.Message);
        Assert.Contains("not valid YAML", e.Message);
    }

    [Theory]
    [InlineData("16MB", 16L << 20)]
    [InlineData("1GiB", 1L << 30)]
    [InlineData("512kB", 512L << 10)]
    [InlineData("1048576", 1048576)]
    public void Sizes_parse_as_operators_write_them(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }
}
