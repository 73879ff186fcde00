using System.CommandLine;
using PgBackup.Cli.Hosting;
using PgBackup.Cli.Rendering;
using PgBackup.Policies;
using PgBackup.Restore;

namespace PgBackup.Cli.Commands;

/// <summary>
/// `pgbackup create-replica`: the entry Patroni calls from postgresql.create_replica_methods. It
/// restores the newest backup as a standby (restore --standby) into --datadir, so a new or
/// reinitialized member is built from the repository, not from the leader. Any failure exits
/// non-zero, and Patroni goes on to its next method (basebackup).
/// </summary>
internal static class CreateReplicaCommand
{
    public static Command Create()
    {
        var policyOption = PolicyOption.Create();
        var dataDir = new Option<string>("--datadir") { Description = "The member's data directory (Patroni passes it)", Required = true };
        var scope = new Option<string?>("--scope") { Description = "Patroni's cluster name; must be the policy's cluster" };
        var role = new Option<string?>("--role") { Description = "Patroni passes replica" };
        // What Patroni passes and we do not need: the leader's address (we read the repository, and
        // never log it: it may name credentials), and the method's own switches, which Patroni acts on.
        var ignored = new[] { "--connstring", "--keep_data", "--no_master", "--no_leader" }
            .Select(name => new Option<string?>(name) { Description = "Passed by Patroni; ignored", Hidden = true });
        var command = new Command("create-replica", "Build a Patroni replica from the newest backup (a postgresql.create_replica_methods entry)") { policyOption, dataDir, scope, role };
        foreach (var option in ignored) command.Options.Add(option);
        command.SetAction((parse, ct) => CommandRunner.Guard(async (log, token) =>
        {
            var policy = PolicyOption.Load(parse, policyOption);
            PatroniReplica.CheckCall(policy, parse.GetValue(scope), parse.GetValue(role));
            var target = RecoveryTarget.Standby();
            RestorePlan plan;
            using (var repository = policy.OpenRepository())
                plan = await new RestorePlanner(repository).PlanAsync(target, null, null, token);
            RestorePlanOutput.Write(plan);

            var pgData = parse.GetRequiredValue(dataDir);
            var options = new RestoreOptions(plan.Backup.Id, target, plan.Timeline, pgData, new Dictionary<uint, string>(), Port: 5432,
                Delta: PatroniReplica.ReuseKeptData(pgData, plan.Backup), WalFetchInvocation.RestoreCommand(policy.SourceFile, serverUser: null));
            var result = await new RestoreRun(policy, log).RunAsync(options, token, plan);
            PatroniReplica.HandOverWal(pgData);
            RestorePlanOutput.WriteSummary(result);
            return 0;
        }, ct));
        return command;
    }
}
