using System.Buffers.Binary;

namespace PgBackup.Postgres;

/// <summary>
/// Reads WAL record by record as PostgreSQL's xlogreader does, from pages fed in order: checks every
/// page header (magic, flags, address, timeline, the segment's long header) and every record (length,
/// resource manager, the back-link to the previous record, CRC-32C over data and header), following
/// records across pages and segments. Holds one record header and a CRC state, never a record or a
/// page: memory is flat whatever the WAL size.
/// </summary>
/// <remarks>
/// Reading starts at a segment boundary. A first page that begins with the tail of an earlier record
/// skips it (the record's start is not available); every record after that is checked in full. Given a
/// first record, the segment's first page is checked (its long header says whose segment it is) and the
/// pages between it and that record's are not read at all — a backup stores them zeroed.
/// Damage is a <see cref="WalFormatException"/> naming the LSN; where valid WAL simply ends (a
/// zero record length, an all-zero page) <see cref="EndOfWal"/> is set and later pages are ignored.
/// </remarks>
public sealed class WalRecordReader
{
    private const int RecordHeaderLength = 24; // SizeOfXLogRecord
    private const int CrcOffset = 20; // offsetof(XLogRecord, xl_crc): the CRC covers the header up to here
    private const uint MaxRecordLength = 1020 << 20; // XLogRecordMaxSize
    private const byte MaxBuiltinResourceManager = 21; // RM_LOGICALMSG_ID, the last built-in one in 13–18
    private const byte FirstCustomResourceManager = 128; // RM_MIN_CUSTOM_ID (15+)

    private readonly long _segmentSize;
    private readonly ulong? _systemIdentifier;
    private readonly Func<uint, Lsn, string?>? _timelineProblem;
    private readonly Action<WalRecord>? _onRecord;
    private readonly Lsn? _firstRecord;
    private readonly byte[] _header = new byte[RecordHeaderLength];
    private int _pageSize;
    private ushort? _magic;
    private uint _timeline;
    private bool _synchronized;
    private Lsn _skipUntil;

    // The record being assembled: its start, total length, bytes still to come, header bytes so far, CRC of its data.
    private Lsn? _recordStart;
    private uint _recordLength;
    private uint _remaining;
    private int _headerFilled;
    private Crc32C _crc;
    private Lsn _previousStart = Lsn.Invalid;

    /// <param name="firstPage">Address of the first page to be fed: a segment boundary.</param>
    /// <param name="systemIdentifier">Checked against every segment's long header, when given.</param>
    /// <param name="timelineProblem">Why a page of this timeline at this address does not belong to the WAL being read, or null when it does.</param>
    /// <param name="stopAfter">Once a record ending at or past this LSN is read, later pages are ignored.</param>
    /// <param name="onRecord">Called for every complete, checked record, in order.</param>
    /// <param name="firstRecord">Where the first record to read starts, inside the first segment; its back-link is not checked.</param>
    public WalRecordReader(long segmentSize, Lsn firstPage, ulong? systemIdentifier = null, Func<uint, Lsn, string?>? timelineProblem = null,
        Lsn? stopAfter = null, Action<WalRecord>? onRecord = null, Lsn? firstRecord = null)
    {
        _segmentSize = WalSegmentSize.Validate(segmentSize);
        if (firstPage.Value % (ulong)_segmentSize != 0)
            throw new ArgumentException($"reading must start at a segment boundary, not {firstPage}", nameof(firstPage));
        if (firstRecord is { } record && (record < firstPage || record.Value - firstPage.Value >= (ulong)_segmentSize))
            throw new ArgumentException($"the first record {record} is not in the segment starting at {firstPage}", nameof(firstRecord));
        _firstRecord = firstRecord;
        NextPage = firstPage;
        _systemIdentifier = systemIdentifier;
        _timelineProblem = timelineProblem;
        StopAfter = stopAfter;
        _onRecord = onRecord;
    }

    /// <summary>Address of the page <see cref="ReadPage"/> expects next.</summary>
    public Lsn NextPage { get; private set; }

    /// <summary>The page size, known once the first page is read (XLOG_BLCKSZ, from the segment's long header).</summary>
    public int PageSize => _pageSize;

    public Lsn? StopAfter { get; }

    /// <summary>The newest complete record.</summary>
    public WalRecord? Last { get; private set; }

    /// <summary>Where a record began whose end has not been fed yet.</summary>
    public Lsn? Incomplete => _recordStart;

    /// <summary>Valid WAL ended (a zero length where a record was due, or a page never written).</summary>
    public bool EndOfWal { get; private set; }

    /// <summary>True once nothing more will be read: <see cref="EndOfWal"/>, or a record reached <see cref="StopAfter"/>.</summary>
    public bool Done => EndOfWal || (StopAfter is { } stop && Last is { } last && last.End >= stop);

    /// <summary>Reads the page at <see cref="NextPage"/>: exactly one page of bytes (for the first page, at least its long header).</summary>
    /// <exception cref="WalFormatException">The page or a record on it is damaged or out of sequence.</exception>
    public void ReadPage(ReadOnlySpan<byte> page)
    {
        var address = NextPage;
        if (_pageSize == 0)
            _pageSize = FirstPageSize(page, address);
        if (page.Length != _pageSize)
            throw Damaged(address, $"a WAL page has {_pageSize} bytes, got {page.Length}");
        NextPage = address + (ulong)_pageSize;
        if (Done || address < _skipUntil)
            return;
        if (page.IndexOfAnyExcept((byte)0) < 0)
        {
            // Never written: valid WAL ends here (a partial segment's zero tail). Mid-record it ends inside that record.
            EndOfWal = true;
            return;
        }

        var header = CheckPageHeader(page, address);
        var offset = header.Length;
        if (!_synchronized && _firstRecord is { } first)
        {
            var firstRecordPage = new Lsn(first.Value - first.Value % (ulong)_pageSize);
            if (address < firstRecordPage)
            {
                _skipUntil = firstRecordPage; // this was the segment's first page, checked above
                return;
            }
            _synchronized = true;
            offset = (int)(first.Value - address.Value);
            if (offset < header.Length)
                throw Damaged(first, "a record cannot start inside the page header");
        }
        else if (!_synchronized)
        {
            _synchronized = true;
            if (header.StartsWithContinuation)
            {
                // The tail of a record that began before our first page: its start is not here to check.
                var skip = (long)offset + header.RemainingLength;
                if (skip >= _pageSize)
                {
                    _synchronized = false;
                    return;
                }
                offset = AlignUp((int)skip);
            }
        }
        else if ((_recordStart is not null) != header.StartsWithContinuation)
        {
            throw _recordStart is { } start
                ? Damaged(address, $"the record at {start} continues onto this page, but the page header does not say so")
                : Damaged(address, "the page header says it continues a record, but the previous record ended before it");
        }
        else if (_recordStart is { } continued && header.RemainingLength != _remaining)
        {
            throw Damaged(address, $"the record at {continued} has {_remaining} bytes left, the page header says {header.RemainingLength}");
        }

        while (offset < _pageSize && !Done && address >= _skipUntil)
            offset = _recordStart is null ? BeginRecord(page, address, offset) : ContinueRecord(page, address, offset);
    }

    private int FirstPageSize(ReadOnlySpan<byte> page, Lsn address)
    {
        if (WalPageHeader.TryRead(page) is not { IsLong: true } first || first.PageSize is 0 || first.PageSize > 1 << 16 || (first.PageSize & (first.PageSize - 1)) != 0)
            throw Damaged(address, "the first page of a segment has no valid long page header");
        return (int)first.PageSize;
    }

    private WalPageHeader CheckPageHeader(ReadOnlySpan<byte> page, Lsn address)
    {
        var header = WalPageHeader.TryRead(page)!.Value;
        _magic ??= header.Magic;
        if (header.Magic != _magic)
            throw Damaged(address, $"page magic {header.Magic:X4} differs from the WAL's {_magic:X4}");
        if ((header.Info & ~WalPageHeader.AllFlags) != 0)
            throw Damaged(address, $"page header flags {header.Info:X4} are not valid");
        if (header.PageAddress != address)
            throw Damaged(address, $"the page says it is at {header.PageAddress}: the segment is recycled, misplaced or damaged");
        var segmentStart = address.Value % (ulong)_segmentSize == 0;
        if (header.IsLong != segmentStart)
            throw Damaged(address, segmentStart ? "a segment's first page lacks the long header" : "a long page header in the middle of a segment");
        if (header.IsLong)
        {
            if (header.SegmentSize != _segmentSize || header.PageSize != _pageSize)
                throw Damaged(address, $"the segment header says {header.SegmentSize}-byte segments of {header.PageSize}-byte pages, expected {_segmentSize} and {_pageSize}");
            if (_systemIdentifier is { } system && header.SystemIdentifier != system)
                throw Damaged(address, $"the segment was written by database system {header.SystemIdentifier}, not {system}");
        }
        if (header.Timeline < _timeline)
            throw Damaged(address, $"page timeline {header.Timeline} goes back from {_timeline}");
        if (_timelineProblem?.Invoke(header.Timeline, address) is { } why)
            throw Damaged(address, why);
        _timeline = header.Timeline;
        return header;
    }

    /// <summary>A record header is due at <paramref name="offset"/>: its length field is always on this page (records are MAXALIGNed).</summary>
    private int BeginRecord(ReadOnlySpan<byte> page, Lsn address, int offset)
    {
        var length = BinaryPrimitives.ReadUInt32LittleEndian(page[offset..]);
        var start = address + (ulong)offset;
        if (length == 0)
        {
            EndOfWal = true;
            return _pageSize;
        }
        if (length < RecordHeaderLength || length > MaxRecordLength)
            throw Damaged(start, $"invalid record length {length}");
        _recordStart = start;
        _recordLength = length;
        _remaining = length;
        _headerFilled = 0;
        _crc = new Crc32C();
        return offset;
    }

    private int ContinueRecord(ReadOnlySpan<byte> page, Lsn address, int offset)
    {
        var take = (int)Math.Min(_remaining, (uint)(_pageSize - offset));
        var bytes = page.Slice(offset, take);
        if (_headerFilled < RecordHeaderLength)
        {
            var n = Math.Min(RecordHeaderLength - _headerFilled, bytes.Length);
            bytes[..n].CopyTo(_header.AsSpan(_headerFilled));
            _headerFilled += n;
            bytes = bytes[n..];
            if (_headerFilled == RecordHeaderLength)
                CheckRecordHeader();
        }
        _crc.Append(bytes);
        _remaining -= (uint)take;
        offset += take;
        if (_remaining == 0)
            CompleteRecord(address + (ulong)AlignUp(offset));
        return AlignUp(offset);
    }

    private void CheckRecordHeader()
    {
        var start = _recordStart!.Value;
        var previous = new Lsn(BinaryPrimitives.ReadUInt64LittleEndian(_header.AsSpan(8)));
        var resourceManager = _header[17];
        if (BinaryPrimitives.ReadUInt32LittleEndian(_header) != _recordLength)
            throw Damaged(start, "the record length changed while reading it");
        if (resourceManager > MaxBuiltinResourceManager && resourceManager < FirstCustomResourceManager)
            throw Damaged(start, $"invalid resource manager {resourceManager}");
        if (_previousStart.IsValid && previous != _previousStart)
            throw Damaged(start, $"the record points back to {previous}, but the previous record is at {_previousStart}");
    }

    private void CompleteRecord(Lsn end)
    {
        var start = _recordStart!.Value;
        _crc.Append(_header.AsSpan(0, CrcOffset));
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(CrcOffset));
        var record = new WalRecord(start, end, _recordLength, BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(4)),
            new Lsn(BinaryPrimitives.ReadUInt64LittleEndian(_header.AsSpan(8))), _header[17], _header[16]);
        if (_crc.Value != stored)
            throw Damaged(start, $"CRC-32C mismatch in the {_recordLength}-byte record (resource manager {record.ResourceManager}): stored {stored:X8}, computed {_crc.Value:X8}");
        if (record.IsSegmentSwitch)
        {
            // The rest of the segment is unused (xlogreader jumps to the next segment too).
            var next = new Lsn((start.Value / (ulong)_segmentSize + 1) * (ulong)_segmentSize);
            record = record with { End = next };
            _skipUntil = next;
        }
        _recordStart = null;
        _previousStart = start;
        Last = record;
        _onRecord?.Invoke(record);
    }

    private static int AlignUp(int offset) => (offset + 7) & ~7; // MAXALIGN

    private static WalFormatException Damaged(Lsn at, string why) => new($"WAL at {at}: {why}");
}
