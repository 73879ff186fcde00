namespace PgBackup.Postgres.Replication.Internal;

/// <summary>Replication messages stamp times as microseconds since 2000-01-01 UTC.</summary>
internal static class PostgresEpoch
{
    private static readonly DateTimeOffset Epoch = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static long FromDateTime(DateTimeOffset time) => (time - Epoch).Ticks / 10;
}
