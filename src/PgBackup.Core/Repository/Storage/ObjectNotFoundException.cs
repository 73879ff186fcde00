using PgBackup.Errors;

namespace PgBackup.Repository.Storage;

/// <summary>
/// A read asked for an object that does not exist. Callers that expect absence (wal-fetch past the
/// end of the archive) catch this type; everyone else lets it surface as a repository error.
/// </summary>
public sealed class ObjectNotFoundException(string key, string store)
    : RepositoryException(
        $"object '{key}' not found in {store}: the repository is incomplete or the name is wrong")
{
    public string Key { get; } = key;
}
