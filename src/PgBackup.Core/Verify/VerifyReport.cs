namespace PgBackup.Verify;

/// <summary>One damaged or missing object: the key (or file) it concerns and what is wrong with it.</summary>
public sealed record VerifyFault(string Object, string Problem)
{
    public override string ToString() => $"{Object}: {Problem}";
}

/// <summary>What `verify` read of one backup and its WAL window, and every fault found.</summary>
/// <param name="WalTo">Where the archived WAL checked ends (null: nothing is archived past the backup).</param>
/// <param name="Unchecked">Objects that carry no checksum of their own because an older version wrote them.</param>
public sealed record VerifyReport(
    string BackupId,
    int Packs,
    int Files,
    int BackupWalSegments,
    int ArchivedWalSegments,
    string? WalTo,
    long BytesRead,
    TimeSpan Duration,
    IReadOnlyList<VerifyFault> Faults,
    IReadOnlyList<string> Unchecked)
{
    public bool Ok => Faults.Count == 0;
}

/// <summary>What `verify` read of the repository's own objects: repo.json, manifests, leases, drill reports, and (with --all) every partial segment and history file.</summary>
public sealed record RepositoryReport(
    int Manifests,
    int Leases,
    int DrillReports,
    int PartialSegments,
    int HistoryFiles,
    long BytesRead,
    TimeSpan Duration,
    IReadOnlyList<VerifyFault> Faults,
    IReadOnlyList<string> Unchecked)
{
    public bool Ok => Faults.Count == 0;
}
