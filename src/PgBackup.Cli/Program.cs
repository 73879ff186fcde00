using System.CommandLine;
using PgBackup.Cli.Commands;
using PgBackup.Cli.Hosting;

NativeHeap.LimitArenas();

// Tables written to a pipe or file get room instead of being squeezed into 80 columns.
if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 200;

var root = new RootCommand("pgbackup: backup and point-in-time recovery for PostgreSQL HA clusters, taken from replicas");
foreach (var option in GlobalOptions.All) root.Options.Add(option);
root.Subcommands.Add(ClusterCommand.Create());
root.Subcommands.Add(BackupCommand.Create());
root.Subcommands.Add(ListCommand.Create());
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(RestoreCommand.Create());
root.Subcommands.Add(RestoreTableCommand.Create());
root.Subcommands.Add(CreateReplicaCommand.Create());
root.Subcommands.Add(ArchiveCommand.Create());
root.Subcommands.Add(WalPushCommand.Create());
root.Subcommands.Add(WalFetchCommand.Create());
root.Subcommands.Add(CheckCommand.Create());
root.Subcommands.Add(ExpireCommand.Create());
root.Subcommands.Add(VerifyCommand.Create());
root.Subcommands.Add(DrillCommand.Create());
root.Subcommands.Add(ServeCommand.Create());

return await CommandRunner.RunAsync(root, args);
