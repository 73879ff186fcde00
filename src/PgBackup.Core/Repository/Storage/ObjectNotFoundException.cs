using PgBackup.Errors;

namespace PgBackup.Repository.Storage;

/// <summary>
/// A read asked for an object that does not exist. Callers that expect absence (wal-fetch past the
/// end of the archive) catch this type; everyone else lets it surface as a repository error.
/// </summary>
/// <remarks>
/// Derives from <see cref="PgBackupException"/> with the repository's exit-code class because
/// <see cref="RepositoryException"/> is sealed.
/// </remarks>
public sealed class ObjectNotFoundException(string key, string store)
    : PgBackupException(ErrorClass.RepositoryUnavailable,
        $"object '{key}' not found in {store}: the repository is incomplete or the name is wrong")
{
    public string Key { get; } = key;
}
