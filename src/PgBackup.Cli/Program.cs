using System.CommandLine;
using PgBackup.Cli.Commands;
using PgBackup.Cli.Hosting;

var root = new RootCommand("pgbackup: backup and point-in-time recovery for PostgreSQL HA clusters, taken from replicas");
foreach (var option in GlobalOptions.All) root.Options.Add(option);
root.Subcommands.Add(ClusterCommand.Create());
root.Subcommands.Add(ArchiveCommand.Create());
root.Subcommands.Add(WalPushCommand.Create());
root.Subcommands.Add(WalFetchCommand.Create());
root.Subcommands.Add(CheckCommand.Create());

return await CommandRunner.RunAsync(root, args);
