namespace PgBackup.Cli.Serve.Jobs;

/// <summary>
/// How a job reports an expected failure to Hangfire: the dashboard shows the exception's message
/// as the failure reason, so it carries the engine's one-line message and no inner exception
/// (whose stack would be rendered too); the detail goes to the log.
/// </summary>
internal sealed class JobFailedException(string message) : Exception(message);

/// <summary>A run that did not start because another run holds the cluster's lock; <see cref="SkippedRunFilter"/> records it as skipped, not failed.</summary>
internal sealed class RunSkippedException(string message) : Exception(message);
