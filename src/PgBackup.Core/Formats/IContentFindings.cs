namespace PgBackup.Formats;

/// <summary>Where a format's checks report: parallel checks add faults and bytes read; verify collects them.</summary>
public interface IContentFindings
{
    void Fault(string obj, string problem);

    void Read(long bytes);

    /// <summary>Runs one object's check; a missing, unreadable or damaged object becomes a fault naming it. False if it did.</summary>
    Task<bool> GuardedAsync(string obj, Func<Task> check);
}
