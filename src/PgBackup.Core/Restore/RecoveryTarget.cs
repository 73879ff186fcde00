using System.Globalization;
using PgBackup.Errors;
using PgBackup.Postgres;

namespace PgBackup.Restore;

/// <summary>Where recovery stops; <see cref="Standby"/>: nowhere, the copy stays in recovery as a streaming replica.</summary>
public enum RecoveryTargetKind { Immediate, Latest, Time, Lsn, Xid, Name, Standby }

public enum RecoveryTargetAction { Promote, Pause, Shutdown }

/// <summary>
/// Where recovery should stop, as PostgreSQL's recovery_target_* settings express it. Parsing is
/// strict on purpose: at 3 a.m. a time without a zone is a guess, and a wrong guess restores the
/// wrong hour.
/// </summary>
public sealed record RecoveryTarget(RecoveryTargetKind Kind, string? Value, bool Exclusive, RecoveryTargetAction Action)
{
    public DateTimeOffset? Time => Kind == RecoveryTargetKind.Time ? DateTimeOffset.Parse(Value!, CultureInfo.InvariantCulture) : null;

    public Lsn? Lsn => Kind == RecoveryTargetKind.Lsn ? Postgres.Lsn.Parse(Value!) : null;

    public static RecoveryTarget Immediate(RecoveryTargetAction action = RecoveryTargetAction.Promote) => new(RecoveryTargetKind.Immediate, null, false, action);

    /// <summary>Replay everything archived, then promote: what an operator wants after losing the whole cluster.</summary>
    public static RecoveryTarget Latest() => new(RecoveryTargetKind.Latest, null, false, RecoveryTargetAction.Promote);

    /// <summary>
    /// No target: the copy joins as a standby (restore --standby, Patroni's create_replica_methods),
    /// replays the archived WAL the restore fetched and then follows its primary, across its timeline switches.
    /// </summary>
    public static RecoveryTarget Standby() => new(RecoveryTargetKind.Standby, null, false, RecoveryTargetAction.Promote);

    public bool IsStandby => Kind == RecoveryTargetKind.Standby;

    /// <summary>An ISO 8601 time. Without an offset it needs <paramref name="timeZone"/> (an IANA name), else it is refused with a hint.</summary>
    public static RecoveryTarget AtTime(string text, string? timeZone, bool exclusive, RecoveryTargetAction action)
    {
        const DateTimeStyles styles = DateTimeStyles.AllowWhiteSpaces;
        // A date is required: "14:05" alone would silently mean today.
        if (text.Trim().Length < 10 || !DateTime.TryParseExact(text.Trim()[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            || !DateTime.TryParse(text, CultureInfo.InvariantCulture, styles | DateTimeStyles.RoundtripKind, out var parsed))
            throw new UsageException($"--time '{text}' is not an ISO 8601 time; write e.g. 2026-11-27T14:05:00Z or 2026-11-27 14:05:00+01:00");
        DateTimeOffset at;
        if (parsed.Kind == DateTimeKind.Unspecified && !HasOffset(text))
        {
            if (timeZone is null)
                throw new UsageException($"--time '{text}' has no time zone; add one (e.g. {text}Z for UTC, or +02:00) or give --tz Europe/Berlin");
            if (!TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var zone))
                throw new UsageException($"--tz '{timeZone}' is not a known time zone; use an IANA name such as Europe/Berlin or UTC");
            at = new DateTimeOffset(parsed, zone.GetUtcOffset(parsed));
        }
        else
        {
            if (timeZone is not null)
                throw new UsageException($"--time '{text}' already has a time zone; drop --tz {timeZone}");
            at = DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, styles);
        }
        return new RecoveryTarget(RecoveryTargetKind.Time, at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture), exclusive, action);
    }

    public static RecoveryTarget AtLsn(string text, bool exclusive, RecoveryTargetAction action) =>
        Postgres.Lsn.TryParse(text, out var lsn) && lsn.IsValid
            ? new RecoveryTarget(RecoveryTargetKind.Lsn, lsn.ToString(), exclusive, action)
            : throw new UsageException($"--lsn '{text}' is not an LSN; write it as PostgreSQL prints it, e.g. 0/3000028 (pg_current_wal_lsn())");

    public static RecoveryTarget AtXid(string text, bool exclusive, RecoveryTargetAction action) =>
        ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var xid) && xid >= 3
            ? new RecoveryTarget(RecoveryTargetKind.Xid, xid.ToString(CultureInfo.InvariantCulture), exclusive, action)
            : throw new UsageException($"--xid '{text}' is not a transaction id (a whole number, as txid_current() prints it)");

    public static RecoveryTarget AtName(string name, bool exclusive, RecoveryTargetAction action) =>
        name.Length is > 0 and < 64
            ? new RecoveryTarget(RecoveryTargetKind.Name, name, exclusive, action)
            : throw new UsageException("--name must be a restore point name of 1 to 63 characters, as given to pg_create_restore_point()");

    /// <summary>The recovery_target_* lines for postgresql.auto.conf (values quoted).</summary>
    /// <param name="backupLastRecord">Start of the restored backup's last WAL record (its manifest's lastRecordLsn), when known.</param>
    public IEnumerable<string> Settings(Postgres.Lsn? backupLastRecord)
    {
        if (Kind == RecoveryTargetKind.Immediate && backupLastRecord is { } last)
        {
            // recovery_target = 'immediate' stops only once it reads the record AFTER the consistent point
            // (PostgreSQL 15 checks before applying a record): a backup of an idle cluster has none, and
            // recovery fails. Stopping after the backup's own last record is the same point without that need.
            yield return $"recovery_target_lsn = '{last}'";
            yield return "recovery_target_inclusive = on";
            yield return $"recovery_target_action = '{Action.ToString().ToLowerInvariant()}'";
            yield break;
        }
        var setting = Kind switch
        {
            RecoveryTargetKind.Immediate => "recovery_target = 'immediate'",
            RecoveryTargetKind.Latest or RecoveryTargetKind.Standby => null,
            RecoveryTargetKind.Time => $"recovery_target_time = '{Value}'",
            RecoveryTargetKind.Lsn => $"recovery_target_lsn = '{Value}'",
            RecoveryTargetKind.Xid => $"recovery_target_xid = '{Value}'",
            _ => $"recovery_target_name = '{RecoveryConfiguration.Quote(Value!)}'",
        };
        if (setting is not null) yield return setting;
        if (Kind is RecoveryTargetKind.Time or RecoveryTargetKind.Lsn or RecoveryTargetKind.Xid or RecoveryTargetKind.Name)
            yield return $"recovery_target_inclusive = {(Exclusive ? "off" : "on")}";
        // With no target PostgreSQL always promotes at the end of WAL (a standby never ends it); the action applies to targets only.
        if (Kind is not (RecoveryTargetKind.Latest or RecoveryTargetKind.Standby))
            yield return $"recovery_target_action = '{Action.ToString().ToLowerInvariant()}'";
    }

    public string Describe() => Kind switch
    {
        RecoveryTargetKind.Immediate => "the end of the backup (first consistent point)",
        RecoveryTargetKind.Latest => "the end of the archived WAL",
        RecoveryTargetKind.Standby => "none: a standby, replaying the archived WAL, then following its primary",
        RecoveryTargetKind.Time => $"time {Value}{(Exclusive ? " (exclusive)" : "")}",
        RecoveryTargetKind.Lsn => $"LSN {Value}{(Exclusive ? " (exclusive)" : "")}",
        RecoveryTargetKind.Xid => $"transaction {Value}{(Exclusive ? " (exclusive)" : "")}",
        _ => $"restore point '{Value}'{(Exclusive ? " (exclusive)" : "")}",
    };

    private static bool HasOffset(string text)
    {
        var t = text.Trim();
        if (t.EndsWith('Z') || t.EndsWith('z')) return true;
        var timePart = t.Contains('T') ? t[(t.IndexOf('T') + 1)..] : t.Contains(' ') ? t[(t.IndexOf(' ') + 1)..] : "";
        return timePart.Contains('+') || timePart.Contains('-');
    }
}
