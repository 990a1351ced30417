using System.CommandLine;
using System.Text.Json.Nodes;
using Parley.Cli.Api;
using Parley.Cli.Documents;
using Parley.Cli.Hosting;
using Parley.Documents.Pacing;
using Parley.Documents.Pipeline;
using Parley.Tokenizer;
using Spectre.Console;

namespace Parley.Cli.Commands;

/// <summary><c>parley summarize FILE</c> and <c>parley map FILE --prompt …</c>: a long text cut into token-exact
/// chunks, one paced parallel call per chunk, the results merged (hierarchically when they do not fit one prompt).</summary>
public static class DocumentCommands
{
    private sealed record Shared(
        Argument<string> File, Option<string> Model, Option<int> Window, Option<int> MaxOutput, Option<int?> ChunkTokens, Option<int> Overlap,
        Option<double?> Qps, Option<int> Concurrency, Option<int> Retries, Option<string> Encoding);

    public static Command Summarize(CliContext context)
    {
        var command = new Command("summarize", "Summarize a long text file (- for standard input): chunks summarized in parallel, then merged.");
        var shared = AddShared(command);
        CommandRunner.SetAction(command, context, (scope, ct) => RunAsync(scope, shared, "summarize",
            PipelineOptions.DefaultSummarizeMapInstruction, PipelineOptions.DefaultSummarizeReduceInstruction, merge: true, ct));
        return command;
    }

    public static Command Map(CliContext context)
    {
        var command = new Command("map", "Apply a prompt to every chunk of a long text file in parallel, then merge the answers.");
        var shared = AddShared(command);
        var prompt = new Option<string>("--prompt") { Description = "The instruction applied to each chunk.", Required = true };
        var mergePrompt = new Option<string>("--merge-prompt") { Description = "The instruction that merges the chunks' answers (default: a generic merge)." };
        var noMerge = new Option<bool>("--no-merge") { Description = "Print each chunk's answer instead of merging them." };
        command.Options.Add(prompt);
        command.Options.Add(mergePrompt);
        command.Options.Add(noMerge);
        CommandRunner.SetAction(command, context, (scope, ct) => RunAsync(scope, shared, "map", scope.Get(prompt),
            scope.Get(mergePrompt) ?? PipelineOptions.DefaultMergeInstruction, merge: !scope.Get(noMerge), ct));
        return command;
    }

    private static Shared AddShared(Command command)
    {
        var shared = new Shared(
            new Argument<string>("file") { Description = "The text file (UTF-8), or - for standard input." },
            new Option<string>("--model", "-m") { Description = "The model (default: the profile's, else the server's first)." },
            new Option<int>("--context-window") { Description = "The model's context window in tokens: every prompt plus reply fits in it.", DefaultValueFactory = _ => 8192 },
            new Option<int>("--max-output-tokens") { Description = "Each call's reply allowance (max_tokens).", DefaultValueFactory = _ => 512 },
            new Option<int?>("--chunk-tokens") { Description = "Chunk size in tokens (default: as large as the window allows)." },
            new Option<int>("--overlap") { Description = "Tokens (whole sentences) each chunk repeats from the one before.", DefaultValueFactory = _ => 100 },
            new Option<double?>("--qps") { Description = "Start at most this many calls per second; default: no limit." },
            new Option<int>("--concurrency") { Description = "Calls in flight at once.", DefaultValueFactory = _ => 4 },
            new Option<int>("--max-retries") { Description = "Retries per call for 429, 408, 409, 5xx and broken connections.", DefaultValueFactory = _ => 5 },
            new Option<string>("--encoding") { Description = "Token encoding (default: the model's, else o200k_base)." });
        command.Arguments.Add(shared.File);
        foreach (var option in new Option[] { shared.Model, shared.Window, shared.MaxOutput, shared.ChunkTokens, shared.Overlap, shared.Qps, shared.Concurrency, shared.Retries, shared.Encoding })
        {
            command.Options.Add(option);
        }
        return shared;
    }

    private static async Task<int> RunAsync(CommandScope scope, Shared shared, string name, string mapInstruction, string reduceInstruction, bool merge,
        CancellationToken cancellationToken)
    {
        var context = scope.Context;
        var path = scope.Get(shared.File);
        var text = path == "-"
            ? await context.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false)
            : File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false) : throw CliException.Usage($"no such file: {path}");
        if (string.IsNullOrWhiteSpace(text))
        {
            throw CliException.Usage($"{path} is empty.");
        }
        var model = await ModelChoice.ResolveAsync(scope, scope.Get(shared.Model), cancellationToken).ConfigureAwait(false);
        var encoding = EncodingFor(scope.Get(shared.Encoding), model);
        var options = new PipelineOptions
        {
            MapInstruction = mapInstruction,
            ReduceInstruction = reduceInstruction,
            ContextWindow = scope.Get(shared.Window),
            MaxOutputTokens = scope.Get(shared.MaxOutput),
            ChunkTokens = scope.Get(shared.ChunkTokens),
            OverlapTokens = scope.Get(shared.Overlap),
            Concurrency = scope.Get(shared.Concurrency),
        };
        var pacer = new RequestPacer(scope.Get(shared.Qps) is { } qps && qps > 0 ? qps : null, context.Time);
        var backend = new HttpCompletionBackend(scope.Client, model, pacer, new RetryPolicy(scope.Get(shared.Retries), context.Time));
        MapReducePipeline pipeline;
        try
        {
            pipeline = new MapReducePipeline(backend, pacer, encoding, options);
        }
        catch (ArgumentException e)
        {
            throw CliException.Usage(e.Message);
        }
        var started = context.Time.GetTimestamp();
        PipelineResult result;
        if (!merge)
        {
            // Only the map stage: one pipeline per chunk would re-chunk; instead map with an instruction and keep the parts.
            result = await RunWithProgressAsync(scope, name, progress => pipeline.RunAsync(text, progress, cancellationToken, reduce: false)).ConfigureAwait(false);
        }
        else
        {
            result = await RunWithProgressAsync(scope, name, progress => pipeline.RunAsync(text, progress, cancellationToken)).ConfigureAwait(false);
        }
        var elapsed = context.Time.GetElapsedTime(started);
        if (scope.Json)
        {
            var parts = new JsonArray();
            for (var i = 0; i < result.Chunks.Count; i++)
            {
                var chunk = result.Chunks[i];
                parts.Add(new JsonObject { ["index"] = i, ["tokens"] = chunk.Tokens, ["start"] = chunk.Start, ["end"] = chunk.End, ["result"] = result.MapResults[i] });
            }
            scope.WriteJson(new JsonObject
            {
                ["object"] = name, ["model"] = model, ["encoding"] = encoding.Name, ["answer"] = merge ? result.Answer : null,
                ["chunk_tokens"] = pipeline.ChunkTokens, ["chunks"] = parts, ["reduce_levels"] = result.ReduceLevels, ["calls"] = result.Calls,
                ["prompt_tokens"] = result.PromptTokens, ["completion_tokens"] = result.CompletionTokens,
                ["elapsed_seconds"] = Math.Round(elapsed.TotalSeconds, 3),
            });
            return ExitCodes.Success;
        }
        if (merge)
        {
            context.Out.WriteLine(result.Answer.Trim());
        }
        else
        {
            for (var i = 0; i < result.MapResults.Count; i++)
            {
                context.Out.WriteLine($"--- chunk {i + 1} of {result.MapResults.Count} ---");
                context.Out.WriteLine(result.MapResults[i].Trim());
            }
        }
        context.Error.WriteLine(FormattableString.Invariant(
            $"{name}: {result.Chunks.Count} chunks of at most {pipeline.ChunkTokens} tokens, {result.Calls} calls, {result.ReduceLevels} merge level(s), {result.PromptTokens + result.CompletionTokens:#,0} tokens, {elapsed.TotalSeconds:0.0} s."));
        return ExitCodes.Success;
    }

    private static TiktokenEncoding EncodingFor(string? requested, string model)
    {
        if (requested is not null)
        {
            return TiktokenEncoding.TryGet(requested, out var named)
                ? named
                : throw CliException.Usage($"unknown encoding '{requested}'; supported: {TiktokenEncoding.O200kBaseName}, {TiktokenEncoding.Cl100kBaseName}.");
        }
        return ModelEncodings.ForModel(model) ?? TiktokenEncoding.O200kBase;
    }

    private static async Task<PipelineResult> RunWithProgressAsync(CommandScope scope, string name, Func<IProgress<PipelineProgress>, Task<PipelineResult>> run)
    {
        var context = scope.Context;
        if (scope.Json || !context.ErrorConsole.Profile.Capabilities.Interactive)
        {
            var plain = new PlainProgress(scope.Json ? TextWriter.Null : context.Error, name);
            return await run(plain).ConfigureAwait(false);
        }
        PipelineResult? result = null;
        await context.ErrorConsole.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
            .StartAsync(async progress =>
            {
                var tasks = new Dictionary<(PipelineStage, int), ProgressTask>();
                var live = new Progress(progress, tasks);
                result = await run(live).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return result!;
    }

    private static string StageName(PipelineStage stage, int level) => stage switch
    {
        PipelineStage.Chunk => "chunk",
        PipelineStage.Map => "map",
        _ => $"merge {level}",
    };

    /// <summary>Spectre's tasks, one per stage, updated synchronously from the workers.</summary>
    private sealed class Progress(ProgressContext context, Dictionary<(PipelineStage, int), ProgressTask> tasks) : IProgress<PipelineProgress>
    {
        private readonly Lock _lock = new();

        public void Report(PipelineProgress value)
        {
            lock (_lock)
            {
                if (!tasks.TryGetValue((value.Stage, value.Level), out var task))
                {
                    task = context.AddTask(StageName(value.Stage, value.Level), maxValue: Math.Max(1, value.Total));
                    tasks[(value.Stage, value.Level)] = task;
                }
                task.MaxValue = Math.Max(1, value.Total);
                task.Value = value.Done;
                task.Description = $"{StageName(value.Stage, value.Level)} {value.Done}/{value.Total}";
            }
        }
    }

    /// <summary>One line per stage start and end on standard error.</summary>
    private sealed class PlainProgress(TextWriter error, string name) : IProgress<PipelineProgress>
    {
        private readonly Lock _lock = new();

        public void Report(PipelineProgress value)
        {
            lock (_lock)
            {
                if (value.Stage == PipelineStage.Chunk)
                {
                    error.WriteLine($"{name}: chunk: {value.Total} chunks");
                }
                else if (value.Done == 0 || value.Done == value.Total)
                {
                    error.WriteLine($"{name}: {StageName(value.Stage, value.Level)}: {value.Done}/{value.Total}");
                }
            }
        }
    }
}
