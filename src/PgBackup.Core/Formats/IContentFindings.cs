namespace PgBackup.Formats;

/// <summary>Where a format's checks report: parallel checks add faults and bytes read; verify collects them.</summary>
public interface IContentFindings
{
    void Fault(string obj, string problem);

    void Read(long bytes);

    /// <summary>Whether this verify run already proved <paramref name="obj"/> intact: a pack or chunk an earlier backup of its chain shares.</summary>
    bool WasProven(string obj);

    /// <summary>Records that <paramref name="obj"/> checked out, so that later backups of the run need not read it again.</summary>
    void Proven(string obj);

    /// <summary>Runs one object's check; a missing, unreadable or damaged object becomes a fault naming it. False if it did.</summary>
    Task<bool> GuardedAsync(string obj, Func<Task> check);
}
