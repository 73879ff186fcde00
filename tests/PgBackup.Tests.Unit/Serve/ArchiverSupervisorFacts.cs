using Microsoft.Extensions.Logging.Abstractions;
using PgBackup.Cli.Serve.Archiver;
using PgBackup.Cli.Serve.Policies;
using PgBackup.Errors;
using PgBackup.Policies;

namespace PgBackup.Tests.Unit.Serve;

public sealed class ArchiverSupervisorFacts : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("pgbackup-supervisor-");

    public ArchiverSupervisorFacts() => File.WriteAllText(Path.Combine(_directory.FullName, "main.yaml"), """
        cluster: main
        patroni:
          urls: [http://127.0.0.1:1]
        connection:
          user: pgbackup
        repository:
          type: local
          path: repository
        """);

    /// <summary>An archiver that fails the same way every time it is started, and counts the starts.</summary>
    private sealed class FailingArchiver(Func<Exception> failure)
    {
        public int Starts;

        public Task RunAsync(Policy policy, IProgress<ArchiverStatus> status, CancellationToken ct)
        {
            Interlocked.Increment(ref Starts);
            throw failure();
        }
    }

    private async Task<(int Starts, ArchiverStatus? Status)> SuperviseForAsync(FailingArchiver archiver, TimeSpan time)
    {
        var policies = new PolicyDirectory(_directory.FullName, NullLogger<PolicyDirectory>.Instance);
        policies.Reload();
        var board = new ArchiverStatusBoard();
        var supervisor = new ArchiverSupervisor(policies, archiver.RunAsync, board, NullLogger<ArchiverSupervisor>.Instance);
        await supervisor.StartAsync(CancellationToken.None);
        await Task.Delay(time);
        var status = board.Get("main");
        await supervisor.StopAsync(CancellationToken.None);
        return (archiver.Starts, status);
    }

    [Fact]
    public async Task A_repository_that_is_not_the_policys_stops_the_archiver_with_the_error_in_its_status()
    {
        const string message = "'repo.json' in /r: the policy's encryption key is not this repository's key";
        var (starts, status) = await SuperviseForAsync(new FailingArchiver(() => new RepositoryMismatchException(message)), TimeSpan.FromSeconds(2.5));

        Assert.Equal(1, starts);
        Assert.Equal(ArchiverStatus.ConfigurationError, status?.State);
        Assert.Equal(message, status?.LastError);
        Assert.False(status!.IsUp);
    }

    [Fact]
    public async Task A_passing_failure_is_restarted_after_a_pause()
    {
        var (starts, status) = await SuperviseForAsync(new FailingArchiver(() => new RepositoryException("S3 timed out")), TimeSpan.FromSeconds(2.5));

        Assert.True(starts >= 2, $"started {starts} time(s)");
        Assert.Equal(ArchiverStatus.Failed, status?.State);
    }

    public void Dispose() => _directory.Delete(recursive: true);
}
