using PgBackup.Errors;
using PgBackup.Postgres;
using PgBackup.Repository;
using PgBackup.Repository.Codecs;
using PgBackup.Wal;
using PgBackup.Repository.Catalog;

namespace PgBackup.Verify;

/// <summary>
/// The archived WAL a backup's point-in-time window needs: from the backup's end along the history
/// of the newest timeline that descends from it, to the newest archived segment. Every segment
/// must be there (no gaps) and decode to a whole segment; every history file on the way must read.
/// Every WAL object of the window — segments, partial segments, history files — must also match the
/// checksum it carries (<see cref="ChecksumTrailer"/>); those without one are reported as unchecked.
/// A segment the run already proved on the same history is not read again: the windows of a
/// repository's backups overlap up to the newest segment.
/// </summary>
internal sealed class WalWindowCheck(BackupRepository repository, Findings findings)
{
    public sealed record Result(int Segments, Lsn? To);

    public async Task<Result> RunAsync(BackupManifest backup, CancellationToken ct)
    {
        var size = backup.WalSegmentSize;
        var archived = await ArchivedWal.LoadAsync(repository, size, ct).ConfigureAwait(false);
        var end = backup.EndLsn;
        if (await NewestHistoryThroughAsync(archived, backup, end, ct).ConfigureAwait(false) is not { } history)
            return new Result(0, null);
        var path = WalPath.From(history, backup.Timeline, end, size);
        await CheckCarriedChecksumsAsync(archived, path, ct).ConfigureAwait(false);
        if (ResumePosition.NewestArchived(archived, history) is not { } until || until <= end)
            return new Result(0, null);

        foreach (var gap in WalContinuity.FindGaps(archived, path, until))
            findings.Fault(repository.Layout.WalSegment(gap.Timeline, gap.First.FileName), $"missing: {gap}; a restore cannot replay past {gap.From}");
        var segments = path.SegmentsUntil(until).Where(s => archived.HasSegment(s.Timeline, s.SegmentNumber)).ToList();
        await Parallel.ForEachAsync(segments, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2, CancellationToken = ct },
            (segment, token) => CheckSegmentAsync(segment, history, ulong.Parse(backup.SystemIdentifier, System.Globalization.CultureInfo.InvariantCulture), token)).ConfigureAwait(false);
        return new Result(segments.Count, until);
    }

    /// <summary>
    /// The history of the newest timeline on which the backup's end lies — what `restore --latest`
    /// follows. Every history file read on the way is checked; one that cannot be read is a fault,
    /// and so is one missing for a timeline the archive holds WAL of. The backup's own timeline may
    /// take its history from the backup itself, which carries a copy.
    /// </summary>
    private async Task<TimelineHistory?> NewestHistoryThroughAsync(ArchivedWal archived, BackupManifest backup, Lsn end, CancellationToken ct)
    {
        foreach (var t in archived.Timelines.Append(backup.Timeline).Where(t => t >= backup.Timeline).Distinct().OrderDescending())
        {
            var key = repository.Layout.TimelineHistory(t);
            try
            {
                var history = await ArchivedHistory.LoadAsync(repository, t, t == backup.Timeline ? [backup] : [], ct).ConfigureAwait(false);
                if (history is null)
                    findings.Fault(key, $"history file missing: the archive holds WAL of timeline {t} but not its history, so recovery cannot follow it (the WAL itself is there); "
                        + "`pgbackup archive` stores it from the cluster when it starts, or copy it from a member's pg_wal with `pgbackup wal-push`");
                else if (history.IncludesWalUpTo(backup.Timeline, end))
                    return history;
            }
            catch (Exception e) when (e is RepositoryException or FormatException)
            {
                findings.Fault(key, e.Message);
            }
        }
        return null;
    }

    /// <summary>The history files and partial segments on the window's path, checked on their own (segments are checked below, with their length).</summary>
    private async Task CheckCarriedChecksumsAsync(ArchivedWal archived, WalPath path, CancellationToken ct)
    {
        var layout = repository.Layout;
        var ranges = path.Ranges;
        // The segment holding a switch point may be archived as the old timeline's partial: hence up to Until, inclusive.
        var partials = ranges.SelectMany(r => archived.Partials(r.Timeline).Where(n => n >= r.First && n <= r.Until)
            .Select(n => (Key: layout.WalPartial(r.Timeline, archived.Segment(r.Timeline, n).FileName), PlainLength: (long?)archived.SegmentSize, Partial: true)));
        var histories = ranges.Select(r => r.Timeline).Where(archived.HasHistory).Select(t => (Key: layout.TimelineHistory(t), PlainLength: (long?)null, Partial: false));
        await Parallel.ForEachAsync(histories.Concat(partials), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2, CancellationToken = ct },
            async (o, token) => await EncodedObjectCheck.RunAsync(repository, o.Key, o.PlainLength, mayVanish: o.Partial, findings.Fault, findings.NoChecksum, findings.Read, token).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>A segment decodes to a whole segment whose WAL records check out (page headers, record CRCs, back-links) on the window's history.</summary>
    private async ValueTask CheckSegmentAsync(WalSegmentName segment, TimelineHistory history, ulong systemIdentifier, CancellationToken ct)
    {
        var key = repository.Layout.WalSegment(segment.Timeline, segment.FileName);
        var proof = $"{key} on the history of timeline {history.Timeline}";
        if (findings.WasProven(proof)) return;
        if (await ProblemOfSegmentAsync(key, segment, history, systemIdentifier, ct).ConfigureAwait(false) is { } problem)
            findings.Fault(key, problem);
        else
            findings.Proven(proof);
    }

    private async Task<string?> ProblemOfSegmentAsync(string key, WalSegmentName segment, TimelineHistory history, ulong systemIdentifier, CancellationToken ct)
    {
        try
        {
            var reader = new WalRecordReader(segment.SegmentSize, segment.StartLsn, systemIdentifier, history.PageMismatch);
            await using var records = new WalRecordReaderStream(reader);
            if ((await repository.Store.GetDecodedAsync(key, repository.Codec, records, ct).ConfigureAwait(false)).Trailer == TrailerState.Absent) findings.NoChecksum(key);
            findings.Read(records.BytesWritten);
            if (records.BytesWritten != segment.SegmentSize)
                return $"decodes to {records.BytesWritten} bytes, a WAL segment has {segment.SegmentSize}";
            if (reader.EndOfWal)
                return $"valid WAL ends inside this complete segment, after {reader.Last?.ToString() ?? "its first page"}: the segment is damaged";
            return null;
        }
        catch (RepositoryException e)
        {
            return e is Repository.Storage.ObjectNotFoundException ? "missing from the repository (removed while verify ran?)" : e.Message;
        }
        catch (WalFormatException e)
        {
            return $"its WAL records do not check out: {e.Message}";
        }
    }
}
