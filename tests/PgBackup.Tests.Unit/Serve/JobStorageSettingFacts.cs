using PgBackup.Cli.Serve.Storage;
using PgBackup.Errors;

namespace PgBackup.Tests.Unit.Serve;

public sealed class JobStorageSettingFacts
{
    [Fact]
    public void Sqlite_takes_a_path_made_absolute()
    {
        var setting = JobStorageSetting.Parse("sqlite:jobs.db");
        Assert.Equal(Path.GetFullPath("jobs.db"), setting.SqlitePath);
        Assert.Null(setting.PostgresConnectionString);
    }

    [Fact]
    public void A_connection_string_on_the_command_line_is_refused_without_echoing_it()
    {
        var e = Assert.Throws<UsageException>(() => JobStorageSetting.Parse("postgres:Host=db;Password=hunter2"));
        Assert.DoesNotContain("hunter2", e.Message);
    }

    [Fact]
    public void Postgres_reads_the_connection_string_from_the_environment_and_describes_only_its_origin()
    {
        var variable = "PGBACKUP_TEST_STORAGE_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "Host=db;Password=hunter2");
        try
        {
            var setting = JobStorageSetting.Parse("postgres:env:" + variable);
            Assert.Equal("Host=db;Password=hunter2", setting.PostgresConnectionString);
            Assert.DoesNotContain("hunter2", setting.Description);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void Postgres_from_an_unset_variable_is_a_usage_error()
    {
        Assert.Throws<UsageException>(() => JobStorageSetting.Parse("postgres:env:PGBACKUP_TEST_UNSET_" + Guid.NewGuid().ToString("N")));
    }
}
