using PgBackup.Errors;
using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Repository.Catalog;

namespace PgBackup.Formats.NativeIncremental;

/// <summary>
/// Verify's half that is particular to native incrementals: every INCREMENTAL file resolves through
/// the chain to a whole file (each older link has the file whole or as an INCREMENTAL file), read
/// from the manifests alone. The stored bytes themselves are checked as any client-chunks backup's.
/// </summary>
internal static class NativeChainCheck
{
    public static async Task RunAsync(BackupRepository repository, BackupManifest backup, IContentFindings findings, CancellationToken ct)
    {
        var manifestKey = repository.Layout.BackupManifest(backup.Id);
        NativeChain chain;
        try
        {
            chain = await NativeChain.LoadAsync(repository, backup, ct).ConfigureAwait(false);
        }
        catch (RepositoryException e)
        {
            findings.Fault(manifestKey, e.Message);
            return;
        }
        foreach (var file in backup.Files.Where(f => f.Type == BackupFileType.File && IncrementalFileHeader.IsIncrementalPath(f.Path)))
        {
            try
            {
                foreach (var _ in chain.VersionsOf(file)) { }
            }
            catch (RepositoryException e)
            {
                findings.Fault(manifestKey, e.Message);
            }
        }
    }
}
