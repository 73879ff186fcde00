namespace PgBackup.Cluster;

/// <summary>One member as Patroni's GET /cluster reports it (3.0.x and later shapes).</summary>
/// <param name="Role">leader, standby_leader, sync_standby, replica (as Patroni spells them).</param>
/// <param name="State">running, streaming (Patroni 3.1+), stopped, stopping, crashed, starting, ...</param>
/// <param name="LagBytes">Replay lag in bytes behind the leader; null when Patroni says "unknown"
/// or for the leader. Patroni caches it in the DCS, so a SQL probe has the last word.</param>
public sealed record ClusterMember(
    string Name,
    string Role,
    string State,
    string? Host,
    int? Port,
    int? Timeline,
    long? LagBytes,
    IReadOnlyDictionary<string, string> Tags,
    string? ApiUrl)
{
    public bool IsLeader => Role is "leader" or "master" or "primary" or "standby_leader";

    public bool IsSyncStandby => Role is "sync_standby";

    public bool IsReplica => Role is "replica" or "sync_standby";

    public bool IsRunning => State is "running" or "streaming";

    public bool HasTag(string tag) =>
        Tags.TryGetValue(tag, out var v) && v is not ("false" or "False" or "0" or "");
}

/// <summary>The cluster as one GET /cluster saw it.</summary>
public sealed record ClusterState(IReadOnlyList<ClusterMember> Members, bool Paused, Uri AnsweredBy)
{
    public ClusterMember? Leader => Members.FirstOrDefault(m => m.IsLeader);
}
