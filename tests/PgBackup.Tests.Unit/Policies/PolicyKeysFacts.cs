using System.Text.RegularExpressions;
using PgBackup.Policies;

namespace PgBackup.Tests.Unit.Policies;

/// <summary>The key table and policies/example.yaml describe the same keys, so the example stays the reference for every key.</summary>
public sealed partial class PolicyKeysFacts
{
    private static readonly string Example = Path.Combine(TestData.RepoRoot(), "policies", "example.yaml");

    /// <summary>
    /// Every key the example shows, written or commented out ("# username: ..."), by dotted path:
    /// a key's section is the nearest key above it that is indented less.
    /// </summary>
    private static IReadOnlyList<string> DocumentedPaths()
    {
        var paths = new List<string>();
        var open = new Stack<(int Indent, string Path)>();
        foreach (var line in File.ReadLines(Example))
        {
            if (ExampleKey().Match(line) is not { Success: true } m) continue;
            var indent = m.Groups["indent"].Length;
            while (open.Count > 0 && open.Peek().Indent >= indent) open.Pop();
            var path = open.Count == 0 ? m.Groups["key"].Value : open.Peek().Path + "." + m.Groups["key"].Value;
            open.Push((indent, path));
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>The spellings a file may use for a key, by dotted path (a secret is NAME_env or NAME_file).</summary>
    private static IEnumerable<(PolicyKey Key, string Path)> Spellings() =>
        PolicyKeys.All.SelectMany(k => k.Names.Select(n => (k, k.Section.Length == 0 ? n : k.Section + "." + n)));

    [Fact]
    public void Every_key_of_the_table_is_documented_in_the_example()
    {
        var documented = DocumentedPaths().ToHashSet(StringComparer.Ordinal);
        var undocumented = PolicyKeys.All.Where(k => !Spellings().Any(s => s.Key == k && documented.Contains(s.Path))).Select(k => k.Path);
        Assert.Empty(undocumented);
    }

    [Fact]
    public void Every_key_of_the_example_is_in_the_table()
    {
        var known = Spellings().Select(s => s.Path).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(DocumentedPaths().Except(known));
    }

    [Fact]
    public void The_example_documents_keys_in_their_sections()
    {
        // A guard on the reader above: were indentation misread, both facts could pass on nonsense paths.
        Assert.Contains("repository.s3.bucket", DocumentedPaths());
        Assert.Contains("patroni.username", DocumentedPaths());
        Assert.Contains("schedules.verify", DocumentedPaths());
    }

    [Fact]
    public void Every_key_path_is_unique_and_its_section_is_in_the_table()
    {
        Assert.Equal(PolicyKeys.All.Count, PolicyKeys.All.Select(k => k.Path).Distinct(StringComparer.Ordinal).Count());
        Assert.All(PolicyKeys.All.Where(k => k.Section.Length > 0), k => Assert.Contains(PolicyKeys.All, s => s.Path == k.Section && s.Type == "section"));
    }

    [Fact]
    public void The_table_states_types_ranges_and_defaults()
    {
        Assert.Equal("whole number 1-19", PolicyKeys.RepositoryCompressionLevel.Type);
        Assert.Equal(3, PolicyKeys.RepositoryCompressionLevel.Default);
        Assert.Equal("one of: disable, prefer, require, verify-ca, verify-full", PolicyKeys.ConnectionSslMode.Type);
        Assert.Equal("duration, at most 1h", PolicyKeys.BackupRetryWait.Type);
        Assert.Equal(["password", "password_env", "password_file"], PolicyKeys.ConnectionPassword.Names);
    }

    [Fact]
    public void Defaults_of_the_table_are_what_a_policy_without_the_keys_gets()
    {
        var p = PolicyLoader.Parse("p.yaml", PolicyLoaderFacts.Minimal);
        Assert.Equal(PolicyKeys.PatroniTimeout.Default, p.Patroni.Timeout);
        Assert.Equal(PolicyKeys.ConnectionDatabase.Default, p.Connection.Database);
        Assert.Equal(PolicyKeys.RepositoryCompressionLevel.Default, p.Repository.CompressionLevel);
        Assert.Equal(PolicyKeys.SourceMaxLag.Default, p.Source.MaxLagBytes);
        Assert.Equal(PolicyKeys.BackupServerWorkers.Default, p.Backup.ServerWorkers);
        Assert.Equal(PolicyKeys.BackupMaxChain.Default, p.Backup.MaxChain);
        Assert.Equal(PolicyKeys.BackupRetryWait.Default, p.Backup.RetryWait);
        Assert.Equal(CompressionSite.Server, p.Backup.Compression);
        Assert.Equal(PolicyKeys.SchedulesTimeZone.Default, p.Schedules.TimeZone);
    }

    [GeneratedRegex(@"^(?<indent> *)(?:# )?(?<key>[a-z][a-z0-9_]*):(?: |$)")]
    private static partial Regex ExampleKey();
}
