namespace PgBackup.Postgres;

/// <summary>
/// WAL that does not read as PostgreSQL wrote it (a page header, a record length, a back-link or a
/// record CRC is wrong), with the LSN it was found at. Its own type, not <see cref="InvalidDataException"/>:
/// the WAL read may be feeding on a decoder, and damaged WAL must not pass for a damaged object.
/// </summary>
public sealed class WalFormatException(string message) : Exception(message);
