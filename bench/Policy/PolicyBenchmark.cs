using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Policy;
using Parley.Policy.Detection;
using Parley.Policy.Keywords;
using Parley.Policy.Redaction;
using Parley.Policy.Rules;
using Parley.Policy.Streaming;
using Parley.Silo.Auth;
using Parley.Silo.Policy;

namespace Parley.Bench.Policy;

internal sealed record PolicyBenchmarkOptions(int SizeMegabytes, int Passes, int Iterations, int Rounds);

/// <summary>
/// The PII and keyword policy's cost. Scanning throughput on mixed Chinese/English text (goal: at least 200 MB/s of
/// UTF-8), for the detectors alone, the 1,000-keyword list alone, a bank's whole input policy on one large text and on
/// 2 KB messages, and the streaming filter on the way down (24-character pieces, hold-back included). Then what the
/// policy adds to a turn with a 2 KB prompt (goal: at most 50 µs): the silo's own steps, in process, as the chat path
/// runs them: the caller's policy resolved (assignment cached), the messages scanned and, where needed, rewritten as
/// JSON, the reply filter made; and, for information, the reply's cost (a 1 KB answer streamed in 48 chunks with a
/// placeholder to restore, and as one JSON completion). A conversation's pseudonyms add one grain call, not measured here.
/// </summary>
internal static class PolicyBenchmark
{
    private const double GoalMegabytesPerSecond = 200;
    private const double GoalMicroseconds = 50;
    private const double BytesPerMegabyte = 1024 * 1024;
    private const int MessageBytes = 2048;
    private const int StreamPiece = 24;

    public static async Task<int> RunAsync(PolicyBenchmarkOptions options)
    {
        var year = DateTime.UtcNow.Year;
        var text = PolicyText.Build(options.SizeMegabytes * (int)BytesPerMegabyte);
        var utf8 = Encoding.UTF8.GetByteCount(text);
        var messages = Split(text, MessageBytes);
        var bank = PolicyText.BankPolicy();
        var policy = PolicyText.Compile(bank, year);
        var scanner = new PiiScanner(DetectorSet.All, year);
        var keywords = new KeywordMatcher(PolicyText.Keywords().Select((k, i) => (k, i)));
        var findings = new List<Finding>();
        var found = new List<(int, int, int)>();
        var matches = new List<RuleMatch>();

        Console.WriteLine(Invariant($"Scanning: {utf8 / BytesPerMegabyte:F1} MB UTF-8 ({text.Length:N0} chars) of mixed Chinese/English text, one value to act on per ~2 KB; {options.Passes} timed passes after one warm-up, one thread."));
        Console.WriteLine();
        Console.WriteLine("| what | matches | median MB/s (UTF-8, wall clock) | median MB/s per CPU second | median Mchar/s (wall) | min ms | max ms | bytes allocated per pass |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        // What the machine gives one thread right now: a vectorised pass that does nothing but read the text.
        Throughput("baseline: count line breaks (vectorised read)", utf8, text.Length, options.Passes, () => text.AsSpan().Count('\n'));
        Throughput("detectors (all 12), one text", utf8, text.Length, options.Passes, () => { findings.Clear(); scanner.Scan(text, findings); return findings.Count; });
        Throughput("keywords (1,000, SearchValues), one text", utf8, text.Length, options.Passes, () => { found.Clear(); keywords.Find(text, found); return found.Count; });
        Throughput("bank input policy, one text", utf8, text.Length, options.Passes, () => { matches.Clear(); policy.Scan(text, PolicyDirection.Input, matches); return matches.Count; });
        var perMessage = Throughput("bank input policy, 2 KB messages", utf8, text.Length, options.Passes, () =>
        {
            var count = 0;
            foreach (var message in messages)
            {
                matches.Clear();
                policy.Scan(message, PolicyDirection.Input, matches);
                count += matches.Count;
            }
            return count;
        });
        Throughput($"bank output policy, streamed in {StreamPiece}-char pieces", utf8, text.Length, options.Passes, () =>
        {
            var filter = new StreamTextFilter(policy, null, PolicyOptions.DefaultMaxHoldBackChars);
            var chars = 0;
            for (var i = 0; i < text.Length; i += StreamPiece)
            {
                chars += filter.Push(text.AsSpan(i, Math.Min(StreamPiece, text.Length - i))).Length;
            }
            chars += filter.Flush().Length;
            return filter.Hits.Values.Sum() + (chars > 0 ? 0 : -1);
        });

        var turn = await TurnAsync(bank, options);
        var passScan = perMessage.Wall >= GoalMegabytesPerSecond;
        var passTurn = turn.Wall <= GoalMicroseconds;
        Console.WriteLine();
        Console.WriteLine(Invariant($"Load while measuring (1, 5, 15 min): {LoadAverage()} on {Environment.ProcessorCount} cores."));
        Console.WriteLine(Invariant($"Verdict: {(passScan ? "PASS" : "FAIL")} - the input policy scans {perMessage.Wall:F0} MB/s in 2 KB messages by the wall clock, {perMessage.Cpu:F0} MB per CPU second (goal: at least {GoalMegabytesPerSecond:F0} MB/s)."));
        Console.WriteLine(Invariant($"Verdict: {(passTurn ? "PASS" : "FAIL")} - the policy adds p50 {turn.Wall:F1} µs to a turn with a 2 KB prompt that carries values to redact, {turn.Cpu:F1} CPU µs per turn (median of rounds; goal: at most {GoalMicroseconds:F0} µs)."));
        return passScan && passTurn ? 0 : 1;
    }

    /// <summary>Times the passes; prints a row; returns the median MB/s of wall-clock time and of the process's CPU time
    /// (the same on an idle machine; on a shared one the second is what one core of its own would do).</summary>
    private static (double Wall, double Cpu) Throughput(string what, int utf8Bytes, int chars, int passes, Func<int> pass)
    {
        var count = pass();
        var before = GC.GetAllocatedBytesForCurrentThread();
        if (pass() != count)
        {
            throw new InvalidOperationException(what + ": passes disagree");
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var seconds = new double[passes];
        var cpu = new double[passes];
        for (var i = 0; i < passes; i++)
        {
            var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
            var start = Stopwatch.GetTimestamp();
            if (pass() != count)
            {
                throw new InvalidOperationException(what + ": passes disagree");
            }
            seconds[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            cpu[i] = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
        }
        Array.Sort(seconds);
        Array.Sort(cpu);
        var median = seconds[passes / 2];
        var megabytes = utf8Bytes / BytesPerMegabyte / median;
        var perCpu = utf8Bytes / BytesPerMegabyte / cpu[passes / 2];
        Console.WriteLine(Invariant($"| {what} | {count:N0} | {megabytes:F0} | {perCpu:F0} | {chars / median / 1e6:F0} | {seconds[0] * 1000:F1} | {seconds[^1] * 1000:F1} | {allocated:N0} |"));
        return (megabytes, perCpu);
    }

    private static async Task<(double Wall, double Cpu)> TurnAsync(PolicyDefinitionOptions bank, PolicyBenchmarkOptions options)
    {
        var policyOptions = Options.Create(new PolicyOptions
        {
            Default = "bank",
            Policies = { ["bank"] = bank },
            AssignmentCacheTtl = TimeSpan.FromDays(1),
        });
        var metrics = new PolicyMetrics();
        var catalog = new PolicyCatalog(policyOptions, TimeProvider.System);
        // No grain is called: the assignment is cached, and a request outside a conversation numbers its own pseudonyms.
        var assignments = new PolicyAssignmentCache(null!, null!, policyOptions, TimeProvider.System);
        assignments.Put("user-1", PolicyAssignments.None);
        var input = new InputPolicy(null!, null!, policyOptions, metrics, NullLogger<InputPolicy>.Instance);
        var chat = new ChatPolicy(catalog, assignments, input, policyOptions, metrics, NullLogger<ChatPolicy>.Instance);
        var caller = new Caller("user-1", "key-1", IsAdmin: false);

        var clean = PolicyText.Build(MessageBytes - 120, withValues: false);
        var half = clean.Length / 2;
        var withValues = string.Concat(clean.AsSpan(0, half), " 请回电13800138000或发邮件到 zhang.wei@example.com，", clean.AsSpan(half), " card 4111 1111 1111 1111.");
        using var cleanPrompt = Prompt(clean);
        using var redactedPrompt = Prompt(withValues);
        var vault = new PseudonymVault();
        vault.Add("<<PII_PHONE_1>>", "13800138000");
        var chunks = ReplyChunks(PolicyText.Build(1024, withValues: false).Insert(200, " 已按<<PII_PHONE_1>>联系 "), 48);
        var completion = Completion(PolicyText.Build(1024, withValues: false).Insert(200, " 已按<<PII_PHONE_1>>联系 "));

        var checkPolicy = await chat.ResolveAsync(caller, "bench");
        using (var check = await chat.ApplyInputAsync(checkPolicy!, redactedPrompt.RootElement, null, caller.UserId, "req", default))
        {
            var sent = check.Messages!.RootElement.GetRawText();
            if (check.Redacted != 3 || sent.Contains("13800138000", StringComparison.Ordinal) || sent.Contains("zhang.wei", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("the input policy did not redact the prompt's three values");
            }
        }

        async ValueTask Input(JsonDocument prompt)
        {
            var policy = await chat.ResolveAsync(caller, "bench");
            using var result = await chat.ApplyInputAsync(policy!, prompt.RootElement, null, caller.UserId, "req", default);
            _ = chat.CreateReply(policy, result.Vault);
        }

        ValueTask Stream()
        {
            var reply = chat.CreateReply(catalog.Resolve("bank", null), vault)!;
            foreach (var chunk in chunks)
            {
                _ = reply.RewriteChunk(chunk);
            }
            _ = reply.FlushChunk();
            return ValueTask.CompletedTask;
        }

        ValueTask Json()
        {
            _ = chat.CreateReply(catalog.Resolve("bank", null), vault)!.RewriteCompletion(completion);
            return ValueTask.CompletedTask;
        }

        Console.WriteLine();
        Console.WriteLine(Invariant($"A turn: {options.Iterations:N0} calls per round, {options.Rounds} rounds, one thread; a 2 KB prompt ({Encoding.UTF8.GetByteCount(clean):N0} B of mixed text in a user message after a system message), the bank policy."));
        Console.WriteLine();
        Console.WriteLine("| round | clean prompt p50 µs | p99 µs | CPU µs | prompt with 3 values p50 µs | p99 µs | CPU µs | bytes/turn | streamed 1 KB reply p50 µs | CPU µs | JSON 1 KB reply p50 µs | CPU µs |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        await MeasureAsync(() => Input(cleanPrompt), options.Iterations / 10);
        await MeasureAsync(() => Input(redactedPrompt), options.Iterations / 10);
        await MeasureAsync(Stream, options.Iterations / 10);
        await MeasureAsync(Json, options.Iterations / 10);
        var added = new List<double>();
        var cpu = new List<double>();
        for (var round = 1; round <= options.Rounds; round++)
        {
            var c = await MeasureAsync(() => Input(cleanPrompt), options.Iterations);
            var r = await MeasureAsync(() => Input(redactedPrompt), options.Iterations);
            var s = await MeasureAsync(Stream, options.Iterations / 4);
            var j = await MeasureAsync(Json, options.Iterations / 4);
            added.Add(r.Time.P50);
            cpu.Add(r.CpuMicroseconds);
            Console.WriteLine(Invariant($"| {round} | {c.Time.P50:F1} | {c.Time.P99:F1} | {c.CpuMicroseconds:F1} | {r.Time.P50:F1} | {r.Time.P99:F1} | {r.CpuMicroseconds:F1} | {r.Bytes:F0} | {s.Time.P50:F1} | {s.CpuMicroseconds:F1} | {j.Time.P50:F1} | {j.CpuMicroseconds:F1} |"));
        }
        added.Sort();
        cpu.Sort();
        return (added[added.Count / 2], cpu[cpu.Count / 2]);
    }

    private static async Task<(Percentiles Time, double CpuMicroseconds, double Bytes)> MeasureAsync(Func<ValueTask> call, int count)
    {
        var ticks = new long[count];
        var before = GC.GetAllocatedBytesForCurrentThread();
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await call();
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalMicroseconds / count;
        var bytes = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)count;
        return (Percentiles.Of(ticks), cpu, bytes);
    }

    private static string LoadAverage()
        => File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static JsonDocument Prompt(string user)
    {
        var messages = new object[]
        {
            new Dictionary<string, string> { ["role"] = "system", ["content"] = "You are the bank's assistant. Answer briefly, in the user's language." },
            new Dictionary<string, string> { ["role"] = "user", ["content"] = user },
        };
        return JsonDocument.Parse(JsonSerializer.Serialize(messages));
    }

    private static List<ReadOnlySequence<byte>> ReplyChunks(string reply, int count)
    {
        var size = (reply.Length + count - 1) / count;
        var chunks = new List<ReadOnlySequence<byte>>();
        for (var i = 0; i < reply.Length; i += size)
        {
            var last = i + size >= reply.Length;
            var json = JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["id"] = "chatcmpl-1", ["object"] = "chat.completion.chunk", ["created"] = 1, ["model"] = "bench",
                ["choices"] = new[] { new Dictionary<string, object?> { ["index"] = 0, ["delta"] = new Dictionary<string, string> { ["content"] = reply.Substring(i, Math.Min(size, reply.Length - i)) }, ["finish_reason"] = last ? "stop" : null } },
            });
            chunks.Add(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)));
        }
        return chunks;
    }

    private static byte[] Completion(string reply) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
    {
        ["id"] = "chatcmpl-1", ["object"] = "chat.completion", ["created"] = 1, ["model"] = "bench",
        ["choices"] = new[] { new Dictionary<string, object?> { ["index"] = 0, ["message"] = new Dictionary<string, string> { ["role"] = "assistant", ["content"] = reply }, ["finish_reason"] = "stop" } },
    });

    private static List<string> Split(string text, int utf8Bytes)
    {
        var pieces = new List<string>();
        var start = 0;
        var bytes = 0;
        for (var i = 0; i < text.Length; i++)
        {
            bytes += text[i] < 0x80 ? 1 : text[i] < 0x800 ? 2 : char.IsSurrogate(text[i]) ? 2 : 3;
            if (bytes >= utf8Bytes)
            {
                pieces.Add(text[start..(i + 1)]);
                (start, bytes) = (i + 1, 0);
            }
        }
        if (start < text.Length)
        {
            pieces.Add(text[start..]);
        }
        return pieces;
    }

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
