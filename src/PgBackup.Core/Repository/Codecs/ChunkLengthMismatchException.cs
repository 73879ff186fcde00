namespace PgBackup.Repository.Codecs;

/// <summary>
/// A chunk's zstd frame decoded intact — its content checksum held — to <see cref="ActualLength"/>
/// bytes where <see cref="ExpectedLength"/> were recorded: the record is the damaged side, not the frame.
/// </summary>
public sealed class ChunkLengthMismatchException(int actualLength, int expectedLength)
    : Exception($"the zstd frame is intact (its content checksum holds) and holds {actualLength} bytes, not the {expectedLength} recorded")
{
    public int ActualLength { get; } = actualLength;
    public int ExpectedLength { get; } = expectedLength;
}
