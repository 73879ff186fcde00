namespace PgBackup.Tests.Integration.Sandbox;

/// <summary>
/// The smoke set: the few tests scripts/test.sh runs against every PostgreSQL major besides 15
/// (backup from a replica, archive across a switchover, point-in-time restore, verify, drill);
/// `dotnet test --filter Smoke=true` selects them.
/// </summary>
public static class Smoke
{
    public const string Trait = "Smoke";
    public const string Yes = "true";
}
