using PgBackup.Repository;
using K = PgBackup.Policies.PolicyKeys;

namespace PgBackup.Policies;

public static partial class PolicyLoader
{
    private static string ReadClusterName(PolicyNode root)
    {
        var cluster = root.Get(K.Cluster);
        return ClusterName.IsValid(cluster)
            ? cluster
            : throw root.Error(K.Cluster, $"'{cluster}' must be {ClusterName.Rule} (it names the repository folder and the slot pgbackup_<cluster>)");
    }
}
