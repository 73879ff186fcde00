using Microsoft.Extensions.Logging;
using PgBackup.Errors;
using PgBackup.Policies;

namespace PgBackup.Cli.Serve.Policies;

/// <summary>A policy file that did not load, with the loader's one-line reason.</summary>
internal sealed record PolicyError(string File, string Reason);

/// <summary>One consistent view of the policy directory: the valid policies by cluster, and the files that failed.</summary>
internal sealed record PolicySet(IReadOnlyDictionary<string, Policy> Valid, IReadOnlyList<PolicyError> Errors)
{
    public static readonly PolicySet Empty = new(new Dictionary<string, Policy>(), []);
}

/// <summary>
/// The policies `serve` works from. Every *.yaml/*.yml file is loaded on its own, so one bad file
/// is reported and skipped while the others keep running; readers always see a whole snapshot.
/// </summary>
internal sealed class PolicyDirectory(string path, ILogger<PolicyDirectory> log)
{
    private PolicySet _current = PolicySet.Empty;

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public PolicySet Current => Volatile.Read(ref _current);

    public event Action<PolicySet>? Reloaded;

    public PolicySet Reload()
    {
        var valid = new Dictionary<string, Policy>(StringComparer.Ordinal);
        var errors = new List<PolicyError>();
        var files = Directory.EnumerateFiles(Path, "*.yaml").Concat(Directory.EnumerateFiles(Path, "*.yml")).Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            try
            {
                var policy = PolicyLoader.Load(file);
                // Two files for one cluster would schedule two backups into one repository folder.
                if (valid.TryGetValue(policy.Cluster, out var first))
                    throw new UsageException($"{file}: cluster '{policy.Cluster}' is already defined by {first.SourceFile}; give each cluster one policy file");
                valid[policy.Cluster] = policy;
            }
            catch (PgBackupException e)
            {
                log.LogError("Policy {File} is invalid and is not scheduled: {Reason}", file, e.Message);
                errors.Add(new PolicyError(file, e.Message));
            }
        }
        var set = new PolicySet(valid, errors);
        Volatile.Write(ref _current, set);
        log.LogInformation("Loaded {Valid} valid policies ({Clusters}) and {Invalid} invalid from {Directory}",
            valid.Count, string.Join(", ", valid.Keys), errors.Count, Path);
        Reloaded?.Invoke(set);
        return set;
    }
}
