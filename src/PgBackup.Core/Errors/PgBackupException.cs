namespace PgBackup.Errors;

/// <summary>The exit-code classes of DESIGN.md's error contract.</summary>
public enum ErrorClass
{
    Unforeseen = 1,
    Usage = 2,
    SourceUnavailable = 3,
    RepositoryUnavailable = 4,
    OperationFailed = 5,
}

/// <summary>
/// A failure the user can act on: <see cref="Exception.Message"/> is the one line the CLI prints
/// after "error: ", and it must say what is wrong and what to do. Never put secrets in it.
/// </summary>
public class PgBackupException : Exception
{
    public PgBackupException(ErrorClass errorClass, string message, Exception? inner = null)
        : base(message, inner) => Class = errorClass;

    public ErrorClass Class { get; }

    public int ExitCode => (int)Class;
}

/// <summary>Bad input: a flag, a policy file, an argument. Exit code 2.</summary>
public sealed class UsageException(string message, Exception? inner = null)
    : PgBackupException(ErrorClass.Usage, message, inner);

/// <summary>No cluster member can serve: Patroni unreachable, no replica qualifies. Exit code 3.</summary>
public class SourceUnavailableException(string message, Exception? inner = null)
    : PgBackupException(ErrorClass.SourceUnavailable, message, inner);

/// <summary>
/// The members refuse our login (password, pg_hba.conf, role). Exit code 3, but not worth waiting
/// out like a failover: it is configuration, and stays wrong until someone fixes it.
/// </summary>
public sealed class LoginRefusedException(string message, Exception? inner = null)
    : SourceUnavailableException(message, inner);

/// <summary>The repository cannot be reached or is inconsistent. Exit code 4.</summary>
public class RepositoryException(string message, Exception? inner = null)
    : PgBackupException(ErrorClass.RepositoryUnavailable, message, inner);

/// <summary>
/// The repository is not this policy's: another encryption key (or none), another database system,
/// another PostgreSQL major, another format. Exit code 4. Retrying cannot fix it, so loops that
/// retry transient failures (the WAL archiver, serve's archiver supervisor) stop at once on it.
/// </summary>
public sealed class RepositoryMismatchException(string message, Exception? inner = null)
    : RepositoryException(message, inner);

/// <summary>A backup, archive or restore operation failed part-way. Exit code 5.</summary>
public sealed class OperationFailedException(string message, Exception? inner = null)
    : PgBackupException(ErrorClass.OperationFailed, message, inner);
