using System.CommandLine;
using PgBackup.Policies;

namespace PgBackup.Cli.Hosting;

/// <summary>--policy FILE, shared by every verb that works on one cluster.</summary>
internal static class PolicyOption
{
    public static Option<string> Create() => new("--policy", "-p")
    {
        Description = "Policy file of the cluster (YAML; see policies/example.yaml)",
        Required = true,
    };

    public static Policy Load(ParseResult parse, Option<string> option) => PolicyLoader.Load(parse.GetRequiredValue(option));
}
