using PgBackup.Cli.Serve.Archiver;

namespace PgBackup.Cli.Json;

/// <summary>One cluster of /api/clusters: its policy file, the source decision (or why there is none) and its archiver.</summary>
/// <param name="Error">Why the cluster could not be asked; null with a decision.</param>
/// <param name="Archiver">Null when `serve` runs no archiver for the cluster.</param>
internal sealed record ClusterAnswerJson(string Cluster, string PolicyFile, ClusterJson? Decision, string? Error, ArchiverStatus? Archiver);
