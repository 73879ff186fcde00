using System.Globalization;
using PgBackup.Errors;
using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Repository.Catalog;

namespace PgBackup.Backup;

/// <summary>
/// The proof a backup gives before it is published (DESIGN.md, integrity rules): the WAL stored
/// with it, read back from the repository record by record, runs unbroken and CRC-checked from a
/// record starting at the start LSN to a record ending exactly at the end LSN, on pages of the
/// backup's own timeline history. What it returns — where that last record starts — is what a
/// restore to the backup's end stops after, so `--immediate` needs no WAL the backup lacks.
/// </summary>
internal static class BackupWalProof
{
    /// <returns>The start of the record that ends at <paramref name="end"/>.</returns>
    /// <exception cref="OperationFailedException">The stored WAL does not prove the backup.</exception>
    public static async Task<Lsn> CheckAsync(BackupRepository repository, string backupId, IReadOnlyList<EncodedObject> wal,
        Lsn start, Lsn end, TimelineHistory history, string systemIdentifier, long segmentSize, CancellationToken ct)
    {
        var segments = wal.Select(w => (Object: w, Name: WalSegmentName.TryParse(w.FileName, out var n, segmentSize) ? n : (WalSegmentName?)null))
            .Where(s => s.Name is not null)
            .OrderBy(s => s.Name!.Value.SegmentNumber)
            .ToList();
        var first = WalSegmentName.Containing(history.Timeline, start, segmentSize);
        if (segments.Count == 0 || segments[0].Name!.Value.SegmentNumber != first.SegmentNumber)
            throw Unproven(start, end, $"the segment holding the start, {first.FileName}, is not stored with it");

        var startsAtStart = false;
        var reader = new WalRecordReader(segmentSize, first.StartLsn, ulong.Parse(systemIdentifier, CultureInfo.InvariantCulture),
            history.PageMismatch, stopAfter: end, onRecord: r => startsAtStart |= r.Start == start, firstRecord: start);
        var expected = first.SegmentNumber;
        foreach (var (obj, name) in segments)
        {
            if (reader.Done) break;
            if (name!.Value.SegmentNumber != expected)
                throw Unproven(start, end, $"segment {new WalSegmentName(history.Timeline, expected, segmentSize).FileName} is missing from what it stores");
            await using var records = new WalRecordReaderStream(reader);
            try
            {
                await repository.Store.GetDecodedAsync(BackupObjects.Absolute(repository, backupId, obj.Key), repository.Codec, records, ct).ConfigureAwait(false);
            }
            catch (WalFormatException e)
            {
                throw Unproven(start, end, e.Message);
            }
            expected++;
        }

        if (!startsAtStart)
            throw Unproven(start, end, "no WAL record starts at its start LSN");
        if (reader.Last is not { } last || last.End < end)
            throw Unproven(start, end, $"its WAL ends at {reader.Last?.End.ToString() ?? first.StartLsn.ToString()}{(reader.Incomplete is { } open ? $", inside the record at {open}" : "")}");
        if (last.End != end)
            throw Unproven(start, end, $"no WAL record ends at its end LSN (the {last} ends at {last.End})");
        return last.Start;
    }

    private static OperationFailedException Unproven(Lsn start, Lsn end, string why) =>
        new($"the backup's own WAL ({start} to {end}) does not prove it restores: {why}; the backup is discarded");
}
