using System.CommandLine;
using System.Text.Json.Nodes;
using Parley.Cli.Batch;
using Parley.Cli.Hosting;

namespace Parley.Cli.Commands;

/// <summary><c>parley batch IN.jsonl -o OUT.jsonl</c>: runs an OpenAI-format batch file from this machine, paced and
/// resumable (docs/cli.md); or, with <c>--remote</c>, submits it to the server's Batch API and follows it.</summary>
public static class BatchCommand
{
    public static Command Create(CliContext context)
    {
        var input = new Argument<string>("input") { Description = "The input file: one request per line, OpenAI's batch format." };
        var output = new Option<string>("--output", "-o") { Description = "The output file (results, one per line).", Required = true };
        var errors = new Option<string>("--errors", "-e") { Description = "The error file (default: OUT with .errors.jsonl)." };
        var qps = new Option<double?>("--qps") { Description = "Start at most this many requests per second (retries included); default: no limit." };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once.", DefaultValueFactory = _ => 8 };
        var retries = new Option<int>("--max-retries") { Description = "Retries per line for 429, 408, 409, 5xx and broken connections.", DefaultValueFactory = _ => 5 };
        var model = new Option<string>("--model", "-m") { Description = "The model for lines whose body has none." };
        var restart = new Option<bool>("--restart") { Description = "Ignore the journal of an earlier run and start over (empties the output files)." };
        var retryFailed = new Option<bool>("--retry-failed") { Description = "On resume, send again the lines that failed in an earlier run." };
        var remote = new Option<bool>("--remote") { Description = "Submit the file to the server's Batch API (/v1/batches), follow it, and download its output and error files; the server paces it." };
        var command = new Command("batch", "Run a batch file of chat completion requests from this machine: paced, retried, resumable.")
        {
            input, output, errors, qps, concurrency, retries, model, restart, retryFailed, remote,
        };
        CommandRunner.SetAction(command, context, (scope, cancellationToken) =>
        {
            var outputPath = scope.Get(output);
            var errorPath = scope.Get(errors) ?? DefaultErrorPath(outputPath);
            var settings = new BatchSettings(scope.Get(concurrency), scope.Get(qps), scope.Get(retries));
            if (settings.Concurrency < 1 || settings.Qps is <= 0 || settings.MaxRetries < 0)
            {
                throw CliException.Usage("--concurrency must be at least 1, --qps above 0 and --max-retries not negative.");
            }
            if (scope.Get(remote))
            {
                if (settings.Qps is not null || scope.Get(restart) || scope.Get(retryFailed))
                {
                    throw CliException.Usage("--qps, --restart and --retry-failed apply to local runs; the server paces a --remote batch (Parley:Batch).");
                }
                return RunRemoteAsync(scope, scope.Get(input), outputPath, errorPath, scope.Get(model), cancellationToken);
            }
            return RunAsync(scope, scope.Get(input), outputPath, errorPath, settings, scope.Get(model), scope.Get(restart), scope.Get(retryFailed),
                cancellationToken);
        });
        return command;
    }

    public static string DefaultErrorPath(string outputPath)
        => (outputPath.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? outputPath[..^".jsonl".Length] : outputPath) + ".errors.jsonl";

    private static async Task<int> RunRemoteAsync(CommandScope scope, string inputPath, string outputPath, string errorPath, string? model,
        CancellationToken cancellationToken)
    {
        if (!File.Exists(inputPath))
        {
            throw CliException.Usage($"no such input file: {inputPath}");
        }
        var defaultModel = BatchInput.AnyLineWithoutModel(inputPath) ? await ModelChoice.ResolveAsync(scope, model, cancellationToken).ConfigureAwait(false) : model;
        var lines = await BatchInput.ReadAsync(inputPath, defaultModel, cancellationToken).ConfigureAwait(false);
        return await RemoteBatch.RunAsync(scope, lines, inputPath, outputPath, errorPath, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> RunAsync(CommandScope scope, string inputPath, string outputPath, string errorPath, BatchSettings settings,
        string? model, bool restart, bool retryFailed, CancellationToken cancellationToken)
    {
        var context = scope.Context;
        if (!File.Exists(inputPath))
        {
            throw CliException.Usage($"no such input file: {inputPath}");
        }
        var defaultModel = BatchInput.AnyLineWithoutModel(inputPath) ? await ModelChoice.ResolveAsync(scope, model, cancellationToken).ConfigureAwait(false) : model;
        var lines = await BatchInput.ReadAsync(inputPath, defaultModel, cancellationToken).ConfigureAwait(false);
        _ = scope.Client;

        using var journal = BatchJournal.Open(outputPath, inputPath, restart);
        using var outputs = BatchOutputs.Open(outputPath, errorPath, restart, out var written, out var failedBefore);
        // A result written just before a kill, whose journal record was lost, still counts as finished.
        journal.Done.UnionWith(written);
        if (!retryFailed)
        {
            journal.Failed.UnionWith(failedBefore);
        }
        else
        {
            journal.Failed.Clear();
        }
        var finished = new HashSet<string>(journal.Done, StringComparer.Ordinal);
        finished.UnionWith(journal.Failed);
        var pending = lines.Where(l => !finished.Contains(l.CustomId)).ToList();
        var resent = pending.Count(l => journal.UnfinishedSends.Contains(l.CustomId));
        if (journal.Resumed && !scope.Json)
        {
            context.Error.WriteLine($"batch: resuming {outputPath}: {lines.Count - pending.Count} of {lines.Count} lines already finished"
                + (resent > 0 ? $"; {resent} line(s) were in flight when the last run was killed and are sent again" : "") + ".");
        }

        var stats = new BatchStats(lines.Count, lines.Count - pending.Count, context.Time);
        var runner = new BatchRunner(scope.Client, settings, journal, outputs, stats, context.Time);
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var interrupted = false;
        using (context.CancelSignal.Subscribe(() =>
        {
            interrupted = true;
            if (!runner.Draining)
            {
                runner.Drain();
                context.Error.WriteLine($"\nbatch: stopping: finishing the {stats.InFlight} line(s) in flight (Ctrl-C again to abandon them); rerun the same command to resume.");
            }
            else
            {
                abandon.Cancel();
            }
            return true;
        }))
        {
            try
            {
                await BatchProgress.RunWithProgressAsync(scope, stats, () => runner.RunAsync(pending, abandon.Token), abandon.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (abandon.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
            }
        }

        var remaining = stats.Remaining;
        var failedTotal = journal.Failed.Count + stats.Failed;
        if (scope.Json)
        {
            scope.WriteJson(new JsonObject
            {
                ["object"] = "batch.summary", ["input"] = inputPath, ["output"] = outputPath, ["errors"] = errorPath, ["journal"] = journal.Path,
                ["total"] = lines.Count, ["finished_before"] = stats.AlreadyFinished, ["done"] = stats.Done, ["failed"] = stats.Failed,
                ["remaining"] = remaining, ["retries"] = stats.Retries, ["requests"] = stats.Requests, ["resent_after_kill"] = resent,
                ["tokens"] = stats.Tokens, ["cost_usd"] = stats.Cost, ["elapsed_seconds"] = Math.Round(stats.Elapsed.TotalSeconds, 3),
                ["lines_per_second"] = Math.Round(stats.Rate, 3), ["interrupted"] = interrupted,
            });
        }
        else
        {
            var cost = stats.Cost is { } usd ? FormattableString.Invariant($", ${usd:0.00####}") : "";
            context.Out.WriteLine(FormattableString.Invariant(
                $"batch: {stats.Done} done, {stats.Failed} failed, {remaining} left of {lines.Count} lines in {BatchProgress.Duration(stats.Elapsed)} ({stats.Rate:0.0} lines/s, {stats.Retries} retries, {stats.Tokens:#,0} tokens{cost}). Results: {outputPath}")
                + (failedTotal > 0 ? $"; failures: {errorPath}" : "") + (remaining > 0 ? "; rerun the same command to resume." : "."));
        }
        if (interrupted && remaining > 0)
        {
            return ExitCodes.Interrupted;
        }
        return failedTotal > 0 ? ExitCodes.ApiError : remaining > 0 ? ExitCodes.Interrupted : ExitCodes.Success;
    }
}
