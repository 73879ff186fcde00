namespace PgBackup.Wal;

public enum WalProblemKind
{
    /// <summary>Segments recovery needs are not in the repository.</summary>
    MissingWal,
    /// <summary>A timeline's history file is not in the repository.</summary>
    MissingHistory,
    /// <summary>Archived WAL is there but its records do not check out.</summary>
    DamagedWal,
    /// <summary>The cluster could not be asked, so lag and slots are unchecked.</summary>
    ClusterUnreachable,
    /// <summary>The archive trails the leader by more than allowed.</summary>
    Lag,
    /// <summary>A slot of ours that nobody streams from holds WAL back on a member.</summary>
    StaleSlot,
}

/// <summary>One thing `check` found broken, in words that say what to do.</summary>
public sealed record WalProblem(WalProblemKind Kind, string Message)
{
    public override string ToString() => Message;
}
