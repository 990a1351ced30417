using System.Globalization;
using Parley.Cli.Api;
using Parley.Cli.Hosting;
using Spectre.Console;

namespace Parley.Cli.Batch;

/// <summary>Shows a batch's progress while it runs: a live bar on a terminal (standard error), else a plain line every
/// few seconds; and keeps the cost current from the server's /v1/usage (what the user spent since the run began).</summary>
public static class BatchProgress
{
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LiveInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan CostInterval = TimeSpan.FromSeconds(3);

    public static async Task RunWithProgressAsync(CommandScope scope, BatchStats stats, Func<Task> run, CancellationToken cancellationToken)
    {
        var context = scope.Context;
        using var stop = new CancellationTokenSource();
        var cost = TrackCostAsync(scope.Client, stats, context.Time, stop.Token);
        try
        {
            if (!scope.Json && context.ErrorConsole.Profile.Capabilities.Interactive)
            {
                await context.ErrorConsole.Progress()
                    .AutoClear(false)
                    .Columns(new ProgressBarColumn(), new PercentageColumn(), new TaskDescriptionColumn { Alignment = Justify.Left })
                    .StartAsync(async progress =>
                    {
                        var task = progress.AddTask(Describe(stats), maxValue: Math.Max(1, stats.Total));
                        var work = run();
                        while (!work.IsCompleted)
                        {
                            await Task.WhenAny(work, Task.Delay(LiveInterval, context.Time, CancellationToken.None)).ConfigureAwait(false);
                            task.Value = stats.AlreadyFinished + stats.Done + stats.Failed;
                            task.Description = Markup.Escape(Describe(stats));
                        }
                        await work.ConfigureAwait(false);
                    }).ConfigureAwait(false);
            }
            else
            {
                var work = run();
                while (!work.IsCompleted)
                {
                    await Task.WhenAny(work, Task.Delay(PlainInterval, context.Time, CancellationToken.None)).ConfigureAwait(false);
                    if (!work.IsCompleted && !scope.Json)
                    {
                        context.Error.WriteLine("batch: " + Describe(stats));
                    }
                }
                await work.ConfigureAwait(false);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await cost.ConfigureAwait(false);
        }
    }

    public static string Describe(BatchStats stats)
    {
        var finished = stats.AlreadyFinished + stats.Done + stats.Failed;
        var eta = stats.Eta is { } left ? Duration(left) : "?";
        var cost = stats.Cost is { } usd ? "$" + usd.ToString("0.00####", CultureInfo.InvariantCulture) : "$?";
        return string.Create(CultureInfo.InvariantCulture,
            $"{finished}/{stats.Total} · done {stats.AlreadyFinished + stats.Done} · failed {stats.Failed} · {stats.Rate:0.0}/s · {stats.Tokens:#,0} tokens · {cost} · ETA {eta}");
    }

    public static string Duration(TimeSpan span) => span.TotalHours >= 1
        ? span.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)
        : span.ToString(@"m\:ss", CultureInfo.InvariantCulture);

    private static async Task TrackCostAsync(ParleyClient client, BatchStats stats, TimeProvider time, CancellationToken cancellationToken)
    {
        decimal? baseline = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var usage = await client.GetAsync("v1/usage", cancellationToken).ConfigureAwait(false);
                if (usage.Property("usage").Decimal("usd_this_month") is { } spent)
                {
                    baseline ??= spent;
                    stats.Cost = spent - baseline.Value;
                }
                await Task.Delay(CostInterval, time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (CliException)
        {
            // Cost stays unknown ("$?") when usage cannot be read; the batch itself goes on.
        }
        catch (HttpRequestException)
        {
        }
    }
}
