using System.Runtime.InteropServices;

namespace PgBackup.Repository.Storage;

internal static class MemoryStreams
{
    /// <summary>A read-only stream over <paramref name="content"/>, without copying when it is array-backed (it always is here).</summary>
    public static MemoryStream ReadOnly(ReadOnlyMemory<byte> content) =>
        MemoryMarshal.TryGetArray(content, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(content.ToArray(), writable: false);
}
