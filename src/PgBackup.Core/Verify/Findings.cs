using System.Collections.Concurrent;
using PgBackup.Errors;
using PgBackup.Formats;
using PgBackup.Repository.Storage;

namespace PgBackup.Verify;

/// <summary>
/// What one verify pass found, collected from parallel checks: faults, objects that have no
/// checksum of their own because an older version wrote them, and how many bytes were read.
/// </summary>
/// <param name="proven">What the run proved intact so far, shared by the passes of one run.</param>
internal sealed class Findings(ProvenObjects proven) : IContentFindings
{
    private readonly ConcurrentBag<VerifyFault> _faults = [];
    private readonly ConcurrentBag<string> _unchecked = [];
    private long _bytesRead;

    public IReadOnlyList<VerifyFault> Faults => _faults.OrderBy(f => f.Object, StringComparer.Ordinal).ToList();

    public IReadOnlyList<string> Unchecked => _unchecked.Order(StringComparer.Ordinal).ToList();

    public long BytesRead => Interlocked.Read(ref _bytesRead);

    public void Fault(string obj, string problem) => _faults.Add(new VerifyFault(obj, problem));

    public void NoChecksum(string obj) => _unchecked.Add(obj);

    public void Read(long bytes) => Interlocked.Add(ref _bytesRead, bytes);

    public bool WasProven(string obj) => proven.Contains(obj);

    public void Proven(string obj) => proven.Add(obj);

    /// <summary>Runs one object's check; a missing, unreadable or corrupt object becomes a fault naming it. False if it did.</summary>
    public async Task<bool> GuardedAsync(string obj, Func<Task> check)
    {
        try
        {
            await check().ConfigureAwait(false);
            return true;
        }
        catch (ObjectNotFoundException)
        {
            Fault(obj, "missing from the repository");
        }
        catch (RepositoryException e)
        {
            Fault(obj, e.Message);
        }
        return false;
    }
}
