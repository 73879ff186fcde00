using PgBackup.IO;

namespace PgBackup.Postgres;

/// <summary>
/// A write-only stream that hands the WAL written to it, page by page, to a <see cref="WalRecordReader"/>:
/// lets a decoder write a stored segment straight into the record check, one page buffered.
/// </summary>
public sealed class WalRecordReaderStream(WalRecordReader reader) : ForwardWriteStream
{
    // The page size is known only once the first page's long header is read; no page is larger.
    private readonly byte[] _page = new byte[1 << 16];
    private int _filled;

    /// <summary>Bytes written so far.</summary>
    public long BytesWritten { get; private set; }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        BytesWritten += buffer.Length;
        while (!buffer.IsEmpty)
        {
            var pageSize = reader.PageSize != 0 ? reader.PageSize : _filled < WalPageHeader.LongLength ? WalPageHeader.LongLength : PageSizeOfFirstPage();
            var n = Math.Min(pageSize - _filled, buffer.Length);
            buffer[..n].CopyTo(_page.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == pageSize && (reader.PageSize != 0 || pageSize > WalPageHeader.LongLength))
            {
                reader.ReadPage(_page.AsSpan(0, pageSize));
                _filled = 0;
            }
        }
    }

    /// <summary>Bytes fed that did not make a whole page (a truncated segment); zero after whole segments.</summary>
    public int PendingBytes => _filled;

    private int PageSizeOfFirstPage() =>
        WalPageHeader.TryRead(_page.AsSpan(0, _filled)) is { IsLong: true, PageSize: > WalPageHeader.LongLength and <= 1 << 16 } h
            ? (int)h.PageSize
            : throw new WalFormatException($"WAL at {reader.NextPage}: the first page of a segment has no valid long page header");

    public override long Position { get => BytesWritten; set => throw new NotSupportedException(); }
}
