using System.Diagnostics;

namespace PgBackup.Tests.Integration.Sandbox;

/// <summary>Polls a condition of the live sandbox until it holds, or fails the test naming what never happened.</summary>
internal static class Waiting
{
    public static Task UntilAsync(Func<bool> condition, TimeSpan patience, string what) =>
        UntilAsync(() => Task.FromResult(condition()), patience, what);

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan patience, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > patience)
                throw new TimeoutException($"gave up after {patience.TotalSeconds} s waiting for {what}");
            await Task.Delay(100);
        }
    }
}
