using System.Globalization;
using System.Text;
using Parley.Documents.Chunking;
using Parley.Documents.Pacing;
using Parley.Tokenizer;
using Parley.Tokenizer.Chat;

namespace Parley.Documents.Pipeline;

/// <summary>Long text → token-exact chunks → one paced, parallel call per chunk (map) → the partial results merged,
/// hierarchically when they do not fit one prompt (reduce), until one answer is left. Every prompt is counted with
/// the chat format of the model's encoding, so prompt plus reply allowance always fits the context window.</summary>
public sealed class MapReducePipeline
{
    private const string PartSeparator = "\n\n";
    private readonly ICompletionBackend _backend;
    private readonly RequestPacer _pacer;
    private readonly ChatTokenCounter _counter;
    private readonly PipelineOptions _options;

    public MapReducePipeline(ICompletionBackend backend, RequestPacer pacer, TiktokenEncoding encoding, PipelineOptions options)
    {
        _backend = backend ?? throw new ArgumentNullException(nameof(backend));
        _pacer = pacer ?? throw new ArgumentNullException(nameof(pacer));
        ArgumentNullException.ThrowIfNull(encoding);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _counter = new ChatTokenCounter(encoding);
        ChunkTokens = Math.Min(options.ChunkTokens ?? int.MaxValue, Room(options.MapInstruction));
        // Two partial results of a full reply each must fit one reduce prompt, or merging could never shrink them.
        var reduceRoom = Room(options.ReduceInstruction) - (2 * LabelTokens);
        if (ChunkTokens < 1 || reduceRoom < 2 * options.MaxOutputTokens)
        {
            throw new ArgumentException(
                $"A context window of {options.ContextWindow} tokens is too small for replies of {options.MaxOutputTokens} tokens: "
                + $"it must hold a chunk and, when merging, two replies plus the instructions. Lower the reply allowance or raise the window.");
        }
        if (options.OverlapTokens >= ChunkTokens)
        {
            throw new ArgumentException($"The overlap ({options.OverlapTokens} tokens) must be smaller than a chunk ({ChunkTokens} tokens).");
        }
    }

    /// <summary>The size of the chunks this pipeline makes, in tokens.</summary>
    public int ChunkTokens { get; }

    /// <summary>A generous bound on "Part 12 of 34:\n" and the separator before it.</summary>
    private const int LabelTokens = 16;

    public IReadOnlyList<TextChunk> Chunk(string text)
        => new TextChunker(_counter.Encoding, new ChunkingOptions(ChunkTokens, _options.OverlapTokens)).Chunk(text);

    /// <param name="reduce">False to stop after the map stage (the answer is then empty; the parts are the results).</param>
    public async Task<PipelineResult> RunAsync(string text, IProgress<PipelineProgress>? progress = null, CancellationToken cancellationToken = default,
        bool reduce = true)
    {
        var chunks = Chunk(text);
        progress?.Report(new PipelineProgress(PipelineStage.Chunk, 0, chunks.Count, chunks.Count));
        if (chunks.Count == 0)
        {
            return new PipelineResult("", chunks, [], 0, 0, 0, 0);
        }
        var totals = new Totals();
        var mapCalls = chunks.Select(c => Call(PipelineStage.Map, 0, c.Index, _options.MapInstruction, c.Text)).ToList();
        var mapped = await RunStageAsync(mapCalls, progress, totals, cancellationToken).ConfigureAwait(false);
        var parts = mapped;
        var level = 0;
        while (reduce && parts.Count > 1)
        {
            level++;
            var groups = Group(parts);
            if (groups.Count == parts.Count)
            {
                throw new InvalidOperationException("The partial results are too long to merge within the context window; lower the reply allowance.");
            }
            var calls = groups.Select((g, i) => Call(PipelineStage.Reduce, level, i, _options.ReduceInstruction, g)).ToList();
            parts = await RunStageAsync(calls, progress, totals, cancellationToken).ConfigureAwait(false);
        }
        return new PipelineResult(reduce ? parts[0] : "", chunks, mapped, level, totals.Calls, totals.PromptTokens, totals.CompletionTokens);
    }

    /// <summary>Consecutive partial results joined, as many per group as one reduce prompt holds.</summary>
    private List<string> Group(IReadOnlyList<string> parts)
    {
        var room = Room(_options.ReduceInstruction);
        var groups = new List<string>();
        var current = new StringBuilder();
        var first = 0;
        for (var i = 0; i < parts.Count; i++)
        {
            var candidate = new StringBuilder(current.ToString());
            AppendPart(candidate, i - first + 1, parts[i]);
            if (current.Length > 0 && _counter.Encoding.CountTokens(candidate.ToString()) > room)
            {
                groups.Add(current.ToString());
                current.Clear();
                first = i;
                AppendPart(current, 1, parts[i]);
            }
            else
            {
                current = candidate;
            }
        }
        groups.Add(current.ToString());
        return groups;
    }

    private static void AppendPart(StringBuilder builder, int number, string part)
    {
        if (builder.Length > 0)
        {
            builder.Append(PartSeparator);
        }
        builder.Append(CultureInfo.InvariantCulture, $"Part {number}:\n").Append(part.Trim());
    }

    private CompletionCall Call(PipelineStage stage, int level, int index, string instruction, string content)
    {
        ChatMessage[] messages = [new("system", instruction), new("user", content)];
        return new CompletionCall(stage, level, index, messages, _counter.CountPrompt(messages), _options.MaxOutputTokens);
    }

    private async Task<List<string>> RunStageAsync(List<CompletionCall> calls, IProgress<PipelineProgress>? progress, Totals totals,
        CancellationToken cancellationToken)
    {
        var results = new string[calls.Count];
        var done = 0;
        var stage = calls[0].Stage;
        var level = calls[0].Level;
        progress?.Report(new PipelineProgress(stage, level, 0, calls.Count));
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(calls, parallel, async (call, token) =>
        {
            if (call.PromptTokens + call.MaxOutputTokens > _options.ContextWindow)
            {
                throw new InvalidOperationException($"A {call.Stage} prompt of {call.PromptTokens} tokens does not fit the window.");
            }
            await _pacer.WaitAsync(token).ConfigureAwait(false);
            var result = await _backend.CompleteAsync(call, token).ConfigureAwait(false);
            results[call.Index] = result.Text;
            totals.Add(result);
            progress?.Report(new PipelineProgress(stage, level, Interlocked.Increment(ref done), calls.Count));
        }).ConfigureAwait(false);
        return [.. results];
    }

    /// <summary>Tokens left for the user message once the system message, the chat framing and the reply allowance
    /// are counted.</summary>
    private int Room(string instruction)
    {
        ChatMessage[] empty = [new("system", instruction), new("user", "")];
        return _options.ContextWindow - _options.MaxOutputTokens - _counter.CountPrompt(empty);
    }

    private sealed class Totals
    {
        private long _calls;
        private long _prompt;
        private long _completion;

        public int Calls => (int)Interlocked.Read(ref _calls);

        public long PromptTokens => Interlocked.Read(ref _prompt);

        public long CompletionTokens => Interlocked.Read(ref _completion);

        public void Add(CompletionResult result)
        {
            Interlocked.Increment(ref _calls);
            Interlocked.Add(ref _prompt, result.PromptTokens);
            Interlocked.Add(ref _completion, result.CompletionTokens);
        }
    }
}

/// <param name="Answer">The merged answer (the only map result when the document made one chunk).</param>
/// <param name="MapResults">One result per chunk, in document order.</param>
/// <param name="ReduceLevels">How many rounds of merging it took (0 for one chunk).</param>
public sealed record PipelineResult(string Answer, IReadOnlyList<TextChunk> Chunks, IReadOnlyList<string> MapResults, int ReduceLevels, int Calls,
    long PromptTokens, long CompletionTokens);
