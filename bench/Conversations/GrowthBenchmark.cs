using System.Diagnostics;
using Parley.Grains.Conversations.Transcript;

namespace Parley.Bench.Conversations;

/// <param name="BuildAllocated">Bytes allocated per BuildPromptAsync (all threads).</param>
/// <param name="AppendAllocated">Bytes allocated per AppendTurnAsync (all threads).</param>
/// <param name="CpuMicroseconds">This process's CPU time per turn (both calls, the runtime's own work beside them).</param>
internal sealed record GrowthBucket(int FromTurn, int ToTurn, Percentiles Build, Percentiles Append, double BuildAllocated, double AppendAllocated,
    double CpuMicroseconds, int Gen0, int Gen1, int Gen2);

/// <summary>What a run of turns cost the store: Redis' own counters summed over windows around each turn (null in
/// memory), the grain's transcript calls and the message JSON the turns carried.</summary>
internal sealed record GrowthWindow(int FromTurn, int ToTurn, RedisDelta? Redis, TranscriptCalls Calls, long MessageJsonBytes)
{
    public int Turns => ToTurn - FromTurn + 1;
}

/// <param name="Buckets">The conversation's turns in five runs of equal length.</param>
/// <param name="Young">Present when a young conversation was stepped in alternation with the last run of turns: its
/// first turns, timed under the same load as the old conversation's last ones.</param>
internal sealed record GrowthResult(string ConversationId, int Turns, int Budget, TimeSpan Elapsed, double JsonBytesPerTurn,
    IReadOnlyList<GrowthBucket> Buckets, GrowthBucket? Young, IReadOnlyList<GrowthWindow> Windows, long? StateBytes, int SummaryCalls);

/// <summary>Goal 1, a turn costs O(turn): grows one conversation turn by turn as the chat path does and times each
/// BuildPromptAsync and AppendTurnAsync. While it takes its last run of turns, a young conversation takes its first ones
/// in alternation, with the same messages, so that "a turn at 1,000 against a turn at 10" compares the same turns run on
/// the same machine at the same moments (on shared cores the load moves between the start and the end of a run). Around each turn of an early window
/// and of the last 100 turns, reads what Redis received and sent and which commands ran.</summary>
internal static class GrowthBenchmark
{
    private const int BucketCount = 5;

    /// <param name="youngId">The young conversation stepped beside the last turns; null for none.</param>
    /// <param name="expectAllMessages">The budget fits every turn: each prompt must carry every stored message.</param>
    public static async Task<GrowthResult> RunAsync(BenchSilo silo, string id, string? youngId, int turns, int budget, int seed, bool expectAllMessages)
    {
        var chat = new ChatTurns(silo);
        var summariesBefore = silo.Summarizer.Calls;
        var bucket = Math.Max(1, turns / BucketCount);
        // Every turn's messages made up front: the young conversation is sent the very messages of the old one's last
        // turns, so the two differ in nothing but their length.
        var generator = new TurnGenerator(seed);
        var messages = Enumerable.Range(0, turns).Select(_ => (User: generator.User(), Assistant: generator.Assistant())).ToArray();
        var old = new Conversation(await chat.CreateAsync(id), messages, turns);
        var young = youngId is null ? null : new Conversation(await chat.CreateAsync(youngId), messages[^bucket..], bucket);
        var windows = Windows(turns).Select(w => new WindowSum(w.From, w.To)).ToList();

        var started = Stopwatch.GetTimestamp();
        for (var turn = 1; turn <= turns; turn++)
        {
            if (young is not null && turn > turns - bucket)
            {
                await young.StepAsync(chat, budget, expectAllMessages);
            }
            var window = windows.Find(w => w.From <= turn && turn <= w.To);
            var redis = window is null || silo.Meter is null ? null : await silo.Meter.StartAsync();
            var calls = silo.Transcripts.Calls;
            var json = await old.StepAsync(chat, budget, expectAllMessages);
            window?.Add(redis is null ? null : await redis.StopAsync(), silo.Transcripts.Calls - calls, json);
        }
        var elapsed = Stopwatch.GetElapsedTime(started);

        var buckets = new List<GrowthBucket>(BucketCount);
        for (var from = 0; from < turns; from += bucket)
        {
            buckets.Add(old.Bucket(from, Math.Min(bucket, turns - from)));
        }
        long? stateBytes = silo.Meter is null ? null
            : await silo.Meter.HashFieldLengthAsync(silo.Redis!.Key(RedisTranscriptStore.HashTag(id), "state"), "data");
        return new GrowthResult(id, turns, budget, elapsed, (double)old.JsonBytes / turns, buckets, young?.Bucket(0, bucket),
            windows.ConvertAll(w => w.ToWindow()), stateBytes, silo.Summarizer.Calls - summariesBefore);
    }

    /// <summary>Turns 11 to 110 (a young conversation, past its first turn's settings write) and the last 100 turns;
    /// shorter for short runs.</summary>
    private static List<(int From, int To)> Windows(int turns)
    {
        var size = Math.Clamp(turns / 4, 1, 100);
        var windows = new List<(int, int)>();
        if (turns >= 10 + 2 * size)
        {
            windows.Add((11, 10 + size));
        }
        windows.Add((turns - size + 1, turns));
        return windows;
    }

    /// <summary>One conversation being grown, and what each of its turns cost.</summary>
    private sealed class Conversation(Parley.GrainInterfaces.Conversations.IConversationGrain grain,
        (GeneratedMessage User, GeneratedMessage Assistant)[] messages, int turns)
    {
        private readonly long[] _build = new long[turns];
        private readonly long[] _append = new long[turns];
        private readonly long[] _buildAllocated = new long[turns];
        private readonly long[] _appendAllocated = new long[turns];
        private readonly TimeSpan[] _cpu = new TimeSpan[turns];
        private readonly (int, int, int)[] _gcs = new (int, int, int)[turns];
        private int _done;

        public long JsonBytes { get; private set; }

        /// <summary>Runs the next turn; returns its message JSON bytes.</summary>
        public async Task<long> StepAsync(ChatTurns chat, int budget, bool expectAllMessages)
        {
            var (user, assistant) = messages[_done];
            var json = user.Record.Utf8Json.Length + assistant.Record.Utf8Json.Length;
            var cpu = Environment.CpuUsage.TotalTime;
            var gcs = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            var timing = await chat.RunAsync(grain, user, assistant, budget);
            var i = _done++;
            _cpu[i] = Environment.CpuUsage.TotalTime - cpu;
            _gcs[i] = (GC.CollectionCount(0) - gcs.Item1, GC.CollectionCount(1) - gcs.Item2, GC.CollectionCount(2) - gcs.Item3);
            (_build[i], _append[i], _buildAllocated[i], _appendAllocated[i]) = (timing.BuildTicks, timing.AppendTicks, timing.BuildAllocated, timing.AppendAllocated);
            if (expectAllMessages && timing.Plan.Messages.Count != 2 * i)
            {
                throw new InvalidOperationException($"turn {i + 1}: {timing.Plan.Messages.Count} messages in the prompt, expected {2 * i}");
            }
            JsonBytes += json;
            return json;
        }

        public GrowthBucket Bucket(int from, int length)
        {
            var range = new Range(from, from + length);
            return new GrowthBucket(from + 1, from + length, Percentiles.Of(_build.AsSpan(range)), Percentiles.Of(_append.AsSpan(range)),
                _buildAllocated[range].Average(), _appendAllocated[range].Average(), _cpu[range].Average(t => t.TotalMicroseconds),
                _gcs[range].Sum(g => g.Item1), _gcs[range].Sum(g => g.Item2), _gcs[range].Sum(g => g.Item3));
        }
    }

    /// <summary>Sums the per-turn measurements of one window.</summary>
    private sealed class WindowSum(int from, int to)
    {
        private RedisDelta? _redis;
        private TranscriptCalls _calls;
        private long _json;

        public int From => from;

        public int To => to;

        public void Add(RedisDelta? redis, TranscriptCalls calls, long json)
        {
            _redis = redis is null ? _redis : _redis is null ? redis : _redis.Plus(redis);
            _calls += calls;
            _json += json;
        }

        public GrowthWindow ToWindow() => new(from, to, _redis, _calls, _json);
    }
}
