using System.Globalization;

namespace Parley.Bench.Conversations;

/// <summary>The benchmark's tables (markdown), each figure next to its goal, and the verdicts.</summary>
internal static class ConversationReport
{
    public const double AppendRatioGoal = 1.25;
    public const double BytesPerTurnGoal = 10_000;
    public const double ActivationP99GoalMs = 5;
    public const double ParleyIdleBytesGoal = 4_096;
    public const double IdleFleetGoalBytes = 1L << 30;
    public const int IdleFleet = 100_000;
    public const double BuildP99GoalMicroseconds = 1_000;

    /// <summary>The machine's load average (1, 5, 15 min): on shared cores, the context every wall-clock figure needs.</summary>
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "n/a";

    public static void PrintHeader(ConversationBenchmarkOptions o)
    {
        Console.WriteLine("# Conversation benchmark: ConversationGrain on Orleans 10.4.2, transcript as an append-only log");
        Console.WriteLine();
        Console.WriteLine(Invariant($"A silo in this process (Host + UseOrleans + UseLocalhostClustering on free loopback ports + AddParleyGrainStorage + AddConversationGrain, a stand-in summariser), calls through the silo's own grain factory. Redis: a redis-server on loopback started for the run (no persistence), nothing else talking to it. {Environment.ProcessorCount} cores, o200k_base, model '{BenchConversations.Model}'."));
        Console.WriteLine(Invariant($"Messages: {TurnGenerator.MinWords}-{TurnGenerator.MaxWords} words (fixed seeds), one user message and one assistant reply per turn, each turn with its own idempotency key. Stores: {o.Stores}. Load average at start: {LoadAverage()}. GC: {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}, {(System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.Batch ? "non-concurrent" : "concurrent")}."));
        Console.WriteLine();
    }

    public static int Print(ConversationBenchmarkOptions o, IReadOnlyList<StoreRun> runs, IdleMemoryResult? idle)
    {
        var verdicts = new List<(bool Pass, string Text)>();
        var problems = new List<string>();
        PrintGrowth(o, runs, verdicts, problems);
        PrintActivations(runs, verdicts, problems);
        if (idle is not null)
        {
            PrintIdle(idle, verdicts, problems);
        }
        PrintBuilds(o, runs, verdicts, problems);

        Console.WriteLine(Invariant($"## Verdicts (load average at the end: {LoadAverage()})"));
        Console.WriteLine();
        foreach (var (pass, text) in verdicts)
        {
            Console.WriteLine($"- {(pass ? "PASS" : "FAIL")}: {text}");
        }
        foreach (var problem in problems)
        {
            Console.WriteLine($"- PROBLEM: {problem}");
        }
        return verdicts.All(v => v.Pass) && problems.Count == 0 ? 0 : 1;
    }

    private static void PrintGrowth(ConversationBenchmarkOptions o, IReadOnlyList<StoreRun> runs, List<(bool, string)> verdicts, List<string> problems)
    {
        Console.WriteLine(Invariant($"## 1. A turn costs O(turn): one conversation grown to {o.Turns:N0} turns"));
        Console.WriteLine();
        Console.WriteLine(Invariant($"Per turn: BuildPromptAsync (with the turn's identity), then AppendTurnAsync; budget {BenchConversations.AllTurnsBudget:N0}, so every prompt carries every stored message (the working set is the whole transcript: the worst case for the prompt, which is O(conversation) by nature; the append is the O(turn) part). During the last run of turns a young conversation takes its first turns in alternation with them, sent the same messages: \"young\" rows ran the same turns at the same moments as the last row above them, on a conversation 1,000 turns shorter."));
        Console.WriteLine();
        Console.WriteLine("| store | conversation | turns | build p50 µs | build p99 µs | append p50 µs | append p99 µs | append max µs | allocated per build / append | CPU µs per turn | GCs gen0/1/2 | goal |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var run in runs)
        {
            var buckets = run.AllTurns.Buckets;
            var last = buckets[^1];
            var young = run.AllTurns.Young ?? buckets[0];
            foreach (var (label, b) in buckets.Select(b => ("growing", b)).Append(("young, alongside", young)))
            {
                var goal = ReferenceEquals(b, young) ? Invariant($"append p50 at turns {last.FromTurn}-{last.ToTurn} / here: {last.Append.P50 / b.Append.P50:F2}x, p99 {last.Append.P99 / b.Append.P99:F2}x (goal ≈ 1)") : "";
                Console.WriteLine(Invariant($"| {run.Store} | {label} | {b.FromTurn}-{b.ToTurn} | {b.Build.P50:F0} | {b.Build.P99:F0} | {b.Append.P50:F0} | {b.Append.P99:F0} | {b.Append.Max:F0} | {b.BuildAllocated:N0} / {b.AppendAllocated:N0} | {b.CpuMicroseconds:F0} | {b.Gen0}/{b.Gen1}/{b.Gen2} | {goal} |"));
            }
            var ratio = last.Append.P50 / young.Append.P50;
            verdicts.Add((ratio <= AppendRatioGoal, Invariant($"{run.Store}: append p50 at turns {last.FromTurn}-{last.ToTurn} is {last.Append.P50:F0} µs vs {young.Append.P50:F0} µs at turns {young.FromTurn}-{young.ToTurn} of a young conversation at the same moments ({ratio:F2}x; goal: as fast, within {AppendRatioGoal:F2}x); p99 {last.Append.P99:F0} vs {young.Append.P99:F0} µs; {last.AppendAllocated:N0} vs {young.AppendAllocated:N0} bytes allocated per append")));
            if (run.AllTurns.SummaryCalls != 0)
            {
                problems.Add(Invariant($"{run.Store}: {run.AllTurns.SummaryCalls} summaries requested while growing the all-turns conversation (expected none)"));
            }
        }
        Console.WriteLine();
        Console.WriteLine("Allocated: GC.GetTotalAllocatedBytes (all threads) around each call. CPU: this process's CPU time (Environment.CpuUsage) per turn, both calls and whatever ran beside them; with the machine shared, CPU time is steadier than wall time.");
        Console.WriteLine();

        var redisRuns = runs.Where(r => r.AllTurns.Windows.All(w => w.Redis is not null)).ToList();
        foreach (var run in redisRuns)
        {
            Console.WriteLine(Invariant($"What Redis received per turn of the growing conversation: INFO stats total_net_input_bytes and commandstats read around each turn of the window (the meter's own INFO and a flushing PING on the silo's connection taken off), summed and divided by the turns; the grain's transcript calls counted by a decorator. Message JSON per turn averages {run.AllTurns.JsonBytesPerTurn:N0} bytes over the run."));
            Console.WriteLine();
            Console.WriteLine("| turns | bytes Redis received per turn | message JSON per turn | bytes Redis sent per turn | script calls (EVALSHA) per turn | Redis µs in scripts per turn | state writes (HMSET) per turn | ZADD per turn | transcript appends / reads per turn | goal |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---|---|");
            foreach (var w in run.AllTurns.Windows)
            {
                var r = w.Redis!;
                var perTurn = (double)r.InputBytes / w.Turns;
                var isLast = w.ToTurn == run.AllTurns.Turns;
                Console.WriteLine(Invariant($"| {w.FromTurn}-{w.ToTurn} | {perTurn:N0} | {(double)w.MessageJsonBytes / w.Turns:N0} | {(double)r.OutputBytes / w.Turns:N0} | {(double)r.Scripts / w.Turns:F2} | {(double)r.ScriptMicroseconds / w.Turns:F1} | {(double)r.Count("hmset") / w.Turns:F2} | {(double)r.Count("zadd") / w.Turns:F2} | {(double)w.Calls.Appends / w.Turns:F2} / {(double)(w.Calls.TailReads + w.Calls.RangeReads) / w.Turns:F2} | {(isLast ? Invariant($"under {BytesPerTurnGoal:N0} B") : "")} |"));
                if (isLast)
                {
                    verdicts.Add((perTurn < BytesPerTurnGoal, Invariant($"{run.Store}: Redis received {perTurn:N0} bytes per turn at turns {w.FromTurn}-{w.ToTurn} (goal: under {BytesPerTurnGoal:N0}); {(double)r.Count("hmset") / w.Turns:F2} state writes per turn")));
                }
            }
            Console.WriteLine();
            var other = run.AllTurns.Windows[^1].Redis!.Calls.OrderByDescending(c => c.Value).Select(c => Invariant($"{c.Key} {(double)c.Value / run.AllTurns.Windows[^1].Turns:F2}"));
            Console.WriteLine(Invariant($"All Redis commands per turn in the last window (commands a script runs are counted by Redis too): {string.Join(", ", other)}."));
            Console.WriteLine(Invariant($"The grain state is {run.AllTurns.StateBytes:N0} bytes of JSON (HSTRLEN of its data field) at {run.AllTurns.Turns:N0} turns; a turn writes it only when the turn's model, encoding or budget change (the first turn)."));
            Console.WriteLine();
        }
    }

    private static void PrintActivations(IReadOnlyList<StoreRun> runs, List<(bool, string)> verdicts, List<string> problems)
    {
        Console.WriteLine("## 2. An activation reads only the working context: a fresh activation's first BuildPromptAsync");
        Console.WriteLine();
        Console.WriteLine("Deactivated through IManagementGrain.DeactivateGrain (returns once the activation is gone) before each timed call; the call activates the grain (its state read by Orleans' storage), reads the working context, and builds. Bytes and commands: Redis' counters over all iterations / iterations.");
        Console.WriteLine();
        Console.WriteLine("| store | conversation (budget) | activations | prompt messages | summary used | p50 ms | p90 ms | p99 ms | max ms | CPU ms: silo process / redis-server | allocated per activation | GCs gen0/1/2 over the run | bytes Redis sent per activation | Redis round trips per activation | transcript reads per activation (entries) | summaries asked per activation | goal |");
        Console.WriteLine("|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|");
        foreach (var run in runs)
        {
            foreach (var a in run.Activations)
            {
                var n = (double)a.Iterations;
                var down = a.Label.Contains(StandInSummarizer.DownMarker, StringComparison.Ordinal);
                var redis = a.Redis is { } r ? Invariant($"{r.OutputBytes / n:N0}") : "n/a";
                var commands = a.Redis is { } rc ? Commands(rc, n) : "n/a";
                var reads = Invariant($"tail {a.Calls.TailReads / n:F2} ({a.Calls.TailEntries / n:N0}), range {a.Calls.RangeReads / n:F2} ({a.Calls.RangeEntries / n:N0})");
                var cpu = Invariant($"{a.CpuMicroseconds / 1000:F2} / {(a.Redis is { } rcpu ? Invariant($"{rcpu.CpuSeconds * 1000 / n:F2}") : "n/a")}");
                Console.WriteLine(Invariant($"| {run.Store} | {a.Label} ({a.Budget:N0}) | {a.Iterations:N0} | {a.Messages:N0} | {(a.SummaryUsed ? "yes" : "no")} | {a.Latency.P50 / 1000:F2} | {a.Latency.P90 / 1000:F2} | {a.Latency.P99 / 1000:F2} | {a.Latency.Max / 1000:F2} | {cpu} | {a.AllocatedBytes / 1024:N0} KiB | {a.Gen0}/{a.Gen1}/{a.Gen2} | {redis} | {commands} | {reads} | {a.SummaryCalls / n:F2} | {(down ? "(the fallback, for reference)" : Invariant($"p99 under {ActivationP99GoalMs:F0} ms"))} |"));
                if (down)
                {
                    continue;
                }
                verdicts.Add((a.Latency.P99 / 1000 < ActivationP99GoalMs, Invariant($"{run.Store}, {a.Label}: a fresh activation's first prompt p99 {a.Latency.P99 / 1000:F2} ms (goal: under {ActivationP99GoalMs:F0} ms), reading {a.Calls.TailEntries / n:N0} entries{(a.Redis is { } rr ? Invariant($", {rr.OutputBytes / n / 1024:N0} KiB") : "")}")));
                if (a.SummaryCalls != 0)
                {
                    problems.Add(Invariant($"{run.Store}, {a.Label}: {a.SummaryCalls} summaries requested during the activation runs"));
                }
            }
        }
        Console.WriteLine();
        Console.WriteLine("CPU: this process's CPU time around the timed call (the activation, the reads, the build, and whatever the runtime and the GC did meanwhile) and redis-server's own (INFO cpu), per activation; allocated: GC.GetTotalAllocatedBytes around the call.");
        Console.WriteLine("Round trips: a script (EVALSHA), a transaction (MULTI … EXEC, written and answered as one unit) or a plain command each count one; the commands a script runs or a transaction queues are listed inside them. HGETALL is Orleans' read of the grain state on activation; the MULTI/EXEC is the working context's read (marks, length, range).");
        Console.WriteLine("The summariser-down conversation lives on the drop-only fallback: its prompts drop the oldest turns, and each fresh activation's first drop starts a summary round (which reads the unsummarised turns in the background, and fails); its bytes include that read.");
        Console.WriteLine();
        foreach (var run in runs.Where(r => r.Activations.Any(a => a.StateBytes is not null)))
        {
            Console.WriteLine(Invariant($"Grain state sizes ({run.Store}): {string.Join(", ", run.Activations.Select(a => Invariant($"{a.Label} {a.StateBytes:N0} bytes")))}. The 128k-window conversation was summarised {run.Window.SummaryCalls} time(s) while it grew (stand-in summariser)."));
            Console.WriteLine();
        }
    }

    private static void PrintIdle(IdleMemoryResult r, List<(bool, string)> verdicts, List<string> problems)
    {
        Console.WriteLine(Invariant($"## 3. Idle activations are small: {r.Conversations:N0} idle {r.Turns}-turn conversations on Redis"));
        Console.WriteLine();
        Console.WriteLine(Invariant($"Each conversation got its {r.Turns} turns through the chat path ({r.CreateElapsed.TotalSeconds:F1} s for all, 32 at a time, 128k window, {r.JsonBytesPerTurn:N0} bytes of message JSON per turn), then sat idle {(2 * r.IdleTimeout + TimeSpan.FromSeconds(1)).TotalSeconds:F0} s, past Parley:Conversations:Context:WorkingSetIdleTimeout = {r.IdleTimeout.TotalSeconds:F0} s. Heap: GC.GetTotalMemory after three full compacting collections, before and after each kind was activated, divided by the count; then, as a cross-check, what deactivating each kind again frees (IManagementGrain.DeactivateGrain). Probes are activated the same way (a call through the silo's grain factory, keys of the same length). Measured first in the process, before the long conversations' megabyte reads pass through its buffer pools."));
        Console.WriteLine();
        Console.WriteLine("| activations | live | heap grown per activation | heap freed per activation when deactivated (cross-check) | goal |");
        Console.WriteLine("|---|---:|---:|---:|---|");
        Console.WriteLine(Invariant($"| empty grain (Orleans' own per-activation cost) | {r.Active.Empty:N0} | {r.EmptyBytes:N0} B | {r.Freed.Empty:N0} B | about 2 KB (reference) |"));
        Console.WriteLine(Invariant($"| empty grain with one persistent state (Orleans' state bridge, read on activation) | {r.Active.Stateful:N0} | {r.StatefulBytes:N0} B | {r.Freed.Stateful:N0} B | (reference) |"));
        Console.WriteLine(Invariant($"| idle {r.Turns}-turn conversation, all of it | {r.Active.Conversations:N0} | {r.ConversationBytes:N0} B | {r.Freed.Conversation:N0} B | |"));
        Console.WriteLine(Invariant($"| of which Parley's own (conversation − empty grain) | | {r.ParleyBytes:N0} B | {r.Freed.Conversation - r.Freed.Empty:N0} B | under {ParleyIdleBytesGoal:N0} B |"));
        var fleet = r.ConversationBytes * IdleFleet;
        Console.WriteLine(Invariant($"| {IdleFleet:N0} idle {r.Turns}-turn conversations (extrapolated) | | {fleet / (1 << 20):N0} MiB | {r.Freed.Conversation * IdleFleet / (1 << 20):N0} MiB | within 1 GiB |"));
        Console.WriteLine();
        verdicts.Add((r.ParleyBytes < ParleyIdleBytesGoal, Invariant($"an idle {r.Turns}-turn conversation holds {r.ParleyBytes:N0} B of Parley's own beside Orleans' {r.EmptyBytes:N0} B (goal: under {ParleyIdleBytesGoal:N0} B)")));
        verdicts.Add((fleet < IdleFleetGoalBytes, Invariant($"{IdleFleet:N0} idle {r.Turns}-turn conversations ≈ {fleet / (1 << 20):N0} MiB of heap (goal: fit in 1 GiB)")));
        foreach (var (kind, live) in new[] { ("empty", r.Active.Empty), ("stateful", r.Active.Stateful), ("conversation", r.Active.Conversations) })
        {
            if (live != r.Conversations)
            {
                problems.Add(Invariant($"{live:N0} {kind} activations live when the heap was measured, expected {r.Conversations:N0}"));
            }
        }
        if (r.SummaryCalls != 0)
        {
            problems.Add(Invariant($"{r.SummaryCalls} summaries requested in the idle-memory run (expected none)"));
        }

        var next = r.Next;
        var n = (double)next.Turns;
        Console.WriteLine(Invariant($"The next turn on {next.Turns} of those idle conversations, one after another, first all the prompts then all the appends: round trips counted by Redis (INFO commandstats deltas, as in section 2) and the grain's transcript calls by a counting ITranscriptStore decorator around its store."));
        Console.WriteLine();
        Console.WriteLine("| call | p50 µs | p99 µs | transcript store calls per turn | Redis round trips per turn | bytes Redis sent / received per turn | goal |");
        Console.WriteLine("|---|---:|---:|---|---|---:|---|");
        foreach (var (label, latency, calls, redis, goal) in new[]
        {
            ("first BuildPromptAsync after idle", next.Build, next.BuildCalls, next.BuildRedis, "reads its working context back in one round trip"),
            ("AppendTurnAsync", next.Append, next.AppendCalls, next.AppendRedis, ""),
        })
        {
            var store = Invariant($"append {calls.Appends / n:F2}, tail read {calls.TailReads / n:F2} ({calls.TailEntries / n:N1} entries), range read {calls.RangeReads / n:F2}, other {calls.Other / n:F2}");
            Console.WriteLine(Invariant($"| {label} | {latency.P50:F0} | {latency.P99:F0} | {store} | {(redis is null ? "n/a" : Commands(redis, n))} | {(redis is null ? "n/a" : Invariant($"{redis.OutputBytes / n:N0} / {redis.InputBytes / n:N0}"))} | {goal} |"));
        }
        Console.WriteLine();
        var roundTrips = next.BuildRedis is { } b ? RoundTrips(b) : -1;
        verdicts.Add((next.BuildCalls.TailReads == next.Turns && next.BuildCalls.RangeReads == 0 && next.BuildCalls.Appends == 0 && roundTrips == next.Turns,
            Invariant($"the next turn's prompt on an idle conversation read its working context back in {roundTrips / n:F2} Redis round trip(s) ({next.BuildCalls.TailReads / n:F2} tail reads, {next.BuildCalls.RangeReads / n:F2} range reads of the transcript; goal: one)")));
    }

    private static void PrintBuilds(ConversationBenchmarkOptions o, IReadOnlyList<StoreRun> runs, List<(bool, string)> verdicts, List<string> problems)
    {
        Console.WriteLine(Invariant($"## 4. Prompt build on an activated {o.Turns:N0}-turn conversation: BuildPromptAsync, {o.Iterations:N0} sequential calls after warm-up"));
        Console.WriteLine();
        Console.WriteLine("| store | conversation (budget) | messages | dropped | summary | prompt tokens | p50 µs | p90 µs | p99 µs | max µs | bytes allocated per build | GCs gen0/1/2 | store calls | goal |");
        Console.WriteLine("|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var run in runs)
        {
            foreach (var b in run.Builds)
            {
                Console.WriteLine(Invariant($"| {run.Store} | {b.Label} ({b.Budget:N0}) | {b.Messages:N0} | {b.Dropped:N0} | {(b.SummaryUsed ? "yes" : "no")} | {b.PromptTokens:N0} | {b.Latency.P50:F1} | {b.Latency.P90:F1} | {b.Latency.P99:F1} | {b.Latency.Max:F0} | {b.BytesPerBuild:N0} | {b.Gen0}/{b.Gen1}/{b.Gen2} | {b.StoreCalls.Total} | p99 under {BuildP99GoalMicroseconds:N0} µs |"));
                verdicts.Add((b.Latency.P99 < BuildP99GoalMicroseconds, Invariant($"{run.Store}, {b.Label}: prompt build on the activated conversation p99 {b.Latency.P99:F0} µs (goal: under {BuildP99GoalMicroseconds:N0} µs), {b.BytesPerBuild:N0} bytes allocated per build")));
                if (b.StoreCalls.Total != 0)
                {
                    problems.Add(Invariant($"{run.Store}, {b.Label}: {b.StoreCalls.Total} transcript store calls during the builds of an activated conversation (expected none)"));
                }
            }
        }
        Console.WriteLine();
        Console.WriteLine("Allocation is GC.GetTotalAllocatedBytes (all threads) over the timed calls, divided by the calls.");
        Console.WriteLine();
        Console.WriteLine(Invariant($"Writing those messages (+ the new user message) into the upstream body with silo/Chat's ChatRequestRewriter.WriteMessages, {o.WriteIterations:N0} writes after warm-up:"));
        Console.WriteLine();
        Console.WriteLine("| store | conversation | messages | body bytes | p50 µs | p90 µs | p99 µs | max µs | bytes allocated per write |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var run in runs)
        {
            foreach (var w in run.Writes)
            {
                Console.WriteLine(Invariant($"| {run.Store} | {w.Label} | {w.Messages:N0} | {w.BodyBytes:N0} | {w.Latency.P50:F1} | {w.Latency.P90:F1} | {w.Latency.P99:F1} | {w.Latency.Max:F0} | {w.BytesPerWrite:N0} |"));
            }
        }
        Console.WriteLine();
        _ = problems;
    }

    /// <summary>Commands that run inside a script (the transcript's append, Orleans' state write) or are queued inside a
    /// MULTI/EXEC (the working-context read): not round trips of their own.</summary>
    private static bool IsInside(string command) => command is "exists" or "hget" or "hmget" or "llen" or "lrange" or "lindex" or "rpush" or "hset"
        or "hmset" or "del" or "expire" or "multi" or "select";

    /// <summary>Network round trips: scripts, transactions (MULTI … EXEC is written and answered as one) and plain commands.</summary>
    internal static long RoundTrips(RedisDelta redis) => redis.Calls.Where(c => !IsInside(c.Key)).Sum(c => c.Value);

    private static string Commands(RedisDelta redis, double n)
    {
        static string Name(string command) => command switch
        {
            "evalsha" => "EVALSHA",
            "exec" => "MULTI/EXEC",
            _ => command.ToUpperInvariant(),
        };
        var outer = redis.Calls.Where(c => !IsInside(c.Key)).OrderByDescending(c => c.Value).Select(c => Invariant($"{Name(c.Key)} {c.Value / n:F2}"));
        var inner = redis.Calls.Where(c => IsInside(c.Key)).OrderByDescending(c => c.Value).Select(c => Invariant($"{c.Key} {c.Value / n:F2}"));
        return Invariant($"{RoundTrips(redis) / n:F2}: {string.Join(", ", outer)} (inside them: {string.Join(", ", inner)})");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
