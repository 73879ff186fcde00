using System.CommandLine;
using System.Globalization;
using PgBackup.Cli.Hosting;
using PgBackup.Cli.Json;
using PgBackup.Cluster;
using PgBackup.Errors;
using PgBackup.Policies;
using Spectre.Console;

namespace PgBackup.Cli.Commands;

/// <summary>`pgbackup cluster`: the members, the chosen source, and why every other member was passed over.</summary>
internal static class ClusterCommand
{
    public static Command Create()
    {
        var policyOption = PolicyOption.Create();
        var json = new Option<bool>("--json") { Description = "Print the decision as JSON for scripts" };
        var command = new Command("cluster", "Show the cluster's members and which one PgBackup would back up from, and why") { policyOption, json };
        command.SetAction((parse, ct) => CommandRunner.Guard(async (log, token) =>
        {
            var policy = PolicyOption.Load(parse, policyOption);
            var decision = await new SourceSelector(policy, log).DecideAsync(new HashSet<string>(), probeEveryone: true, token);
            if (parse.GetValue(json)) Output.WriteJson(ClusterJson.Of(policy, decision), PgBackupJson.Default.ClusterJson);
            else Render(policy, decision);
            if (decision.Chosen is null)
                throw new SourceUnavailableException($"no member of cluster '{policy.Cluster}' qualifies as a backup source; see the reasons above");
            return 0;
        }, ct));
        return command;
    }

    private static void Render(Policy policy, SourceDecision d)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"cluster [bold]{Markup.Escape(policy.Cluster)}[/] (from {Markup.Escape(d.Cluster.AnsweredBy.ToString())})");
        foreach (var h in new[] { "member", "role", "state", "TL", "lag (Patroni)", "replay lag (probe)", "tags", "decision" })
            table.AddColumn(h);
        foreach (var m in d.Members)
        {
            var member = m.Member;
            var probeLag = m.Probe is { } p && p.InRecovery
                ? $"{(p.ReplayLagBytes is { } b ? ByteSize.Format(b) : "?")}, {(p.ReplayLagSeconds is { } s ? s.ToString("0.#", CultureInfo.InvariantCulture) + " s" : "?")}"
                : "";
            table.AddRow(
                Markup.Escape(member.Name),
                Markup.Escape(member.Role),
                Markup.Escape(member.State),
                member.Timeline?.ToString(CultureInfo.InvariantCulture) ?? "?",
                member.IsLeader ? "" : member.LagBytes is { } lag ? ByteSize.Format(lag) : "unknown",
                probeLag,
                Markup.Escape(string.Join(",", member.Tags.Select(t => $"{t.Key}={t.Value}"))),
                m.Chosen ? $"[green]{Markup.Escape(m.Verdict)}[/]" : Markup.Escape(m.Verdict));
        }
        AnsiConsole.Write(table);
        foreach (var note in d.Notes) AnsiConsole.MarkupLine($"[yellow]note:[/] {Markup.Escape(note)}");
        if (d.Chosen is { } c) AnsiConsole.MarkupLine($"source: [bold]{Markup.Escape(c.Member.Name)}[/] ({c.Member.Host}:{c.Member.Port})");
    }
}
