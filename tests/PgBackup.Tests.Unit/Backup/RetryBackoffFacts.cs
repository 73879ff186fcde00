using PgBackup.Backup;

namespace PgBackup.Tests.Unit.Backup;

public sealed class RetryBackoffFacts
{
    private static double[] Seconds(TimeSpan budget) => RetryBackoff.Delays(budget).Select(d => d.TotalSeconds).ToArray();

    [Fact]
    public void Pauses_double_from_one_second_up_to_ten_and_add_up_to_the_budget()
    {
        Assert.Equal([1, 2, 4, 8, 10, 10, 10, 10, 5], Seconds(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public void The_last_pause_is_cut_to_what_is_left_of_the_budget()
    {
        Assert.Equal([1, 2, 2], Seconds(TimeSpan.FromSeconds(5)));
        Assert.Equal([0.5], Seconds(TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public void No_budget_means_no_pause()
    {
        Assert.Empty(Seconds(TimeSpan.Zero));
    }
}
