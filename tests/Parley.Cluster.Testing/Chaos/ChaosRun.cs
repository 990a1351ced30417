using System.Collections.Concurrent;
using System.Diagnostics;
using Parley.ClientApi.Health;
using Parley.Cluster.Testing.Infrastructure;

namespace Parley.Cluster.Testing.Chaos;

/// <summary>How silos are taken down during a chaos run.</summary>
public enum SiloDisruption
{
    /// <summary>SIGKILL: a crash, no drain, no membership leave.</summary>
    Kill,

    /// <summary>SIGTERM: a graceful stop, as Kubernetes does on a rollout.</summary>
    Terminate,
}

/// <summary>A chaos run: <see cref="Clients"/> clients each continue a conversation of their own through the front end,
/// streaming every other turn and retrying a failed turn with its key, while one silo after another is taken down every
/// <see cref="Interval"/> and started again. Then every conversation is read back and checked against what its client
/// was acknowledged.</summary>
public sealed class ChaosRun(TestCluster cluster, string userKey, int clients, TimeSpan duration, TimeSpan interval, SiloDisruption disruption,
    int minDisruptions = 0)
{
    private const int MaxAttemptsPerTurn = 100;
    private const int MaxStartAttempts = 3;

    private readonly ConcurrentQueue<string> _failures = new();
    private readonly ConcurrentQueue<string> _events = new();
    private long _turns;
    private long _firstAttemptFailures;
    private int _disruptions;
    private long _retries;
    private long _status500;
    private long _replays;
    private long _givenUp;
    private int _maxAttempts;

    public int Clients { get; } = clients;

    public TimeSpan Interval { get; } = interval;

    public async Task<ChaosReport> RunAsync()
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = new Uri(cluster.FrontEndUrl + "/"),
            Timeout = TimeSpan.FromSeconds(60),
        };
        http.DefaultRequestHeaders.Authorization = new("Bearer", userKey);
        using var _ = http;
        var conversations = new List<ChaosTurnClient>(Clients);
        for (var i = 0; i < Clients; i++)
        {
            // A bounded context keeps every prompt small however many turns the run makes (older turns are summarised).
            using var created = await http.PostAsync("v1/conversations", Http.Json("""{"max_context_tokens":1500}"""));
            conversations.Add(new ChaosTurnClient(http, (await Http.ReadSuccessJsonAsync(created)).GetProperty("id").GetString()!));
        }

        using var stop = new CancellationTokenSource();
        var acknowledged = new List<(string Text, string Answer)>[Clients];
        var running = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Clients).Select(i => Task.Run(() => ClientLoopAsync(i, conversations[i], acknowledged, stop.Token))).ToList();
        var disrupting = DisruptAsync(stop.Token);
        await StopAsync(stop, running);
        var disruptions = await disrupting;
        await Task.WhenAll(workers);
        var elapsed = running.Elapsed;

        // Every silo back, then read every conversation back through the front end.
        await cluster.WaitForFrontEndAsync(TestCluster.SiloCount, TimeSpan.FromMinutes(1));
        var lost = 0;
        var duplicated = 0;
        var outOfOrder = 0;
        var unacknowledgedStored = 0;
        for (var i = 0; i < Clients; i++)
        {
            var items = await ReadAllItemsAsync(http, conversations[i].ConversationId);
            var users = items.Where(item => item.Role == "user").Select(item => item.Text).ToList();
            var expected = acknowledged[i];
            duplicated += users.Count - users.Distinct().Count();
            var positions = expected.Select(turn => users.IndexOf(turn.Text)).ToList();
            lost += positions.Count(p => p < 0);
            outOfOrder += positions.Where(p => p >= 0).Zip(positions.Where(p => p >= 0).Skip(1)).Count(pair => pair.First >= pair.Second);
            unacknowledgedStored += users.Distinct().Count(text => !expected.Exists(turn => turn.Text == text));
            // The answer the client was given is the one the transcript keeps.
            for (var t = 0; t < expected.Count; t++)
            {
                var at = items.FindIndex(item => item.Role == "user" && item.Text == expected[t].Text);
                if (at >= 0 && (at + 1 >= items.Count || items[at + 1].Role != "assistant" || items[at + 1].Text != expected[t].Answer))
                {
                    _failures.Enqueue($"{conversations[i].ConversationId}: turn '{expected[t].Text}' stored another answer than the one acknowledged");
                }
            }
        }
        return new ChaosReport(disruption, Clients, elapsed, disruptions, Interlocked.Read(ref _turns), Interlocked.Read(ref _firstAttemptFailures),
            Interlocked.Read(ref _retries), Interlocked.Read(ref _status500), Interlocked.Read(ref _replays), Interlocked.Read(ref _givenUp), _maxAttempts,
            lost, duplicated, outOfOrder, unacknowledgedStored, [.. _failures], [.. _events]);
    }

    private async Task ClientLoopAsync(int client, ChaosTurnClient conversation, List<(string Text, string Answer)>[] acknowledged, CancellationToken stop)
    {
        var mine = acknowledged[client] = [];
        var random = new Random(client);
        for (var turn = 1; !stop.IsCancellationRequested; turn++)
        {
            var text = $"client {client} turn {turn}";
            var key = Guid.NewGuid().ToString("N");
            var stream = turn % 2 == 0;
            for (var attempt = 1; ; attempt++)
            {
                // A turn started is finished, even past the end of the run: a client does not abandon a turn.
                var result = await conversation.SendAsync(text, key, stream, CancellationToken.None);
                if (result.Status == 500)
                {
                    Interlocked.Increment(ref _status500);
                    _failures.Enqueue($"{text}: 500 {result.Failure}");
                }
                if (result.Acknowledged)
                {
                    Interlocked.Increment(ref _turns);
                    if (result.Replayed)
                    {
                        Interlocked.Increment(ref _replays);
                    }
                    mine.Add((text, result.Answer!));
                    InterlockedMax(ref _maxAttempts, attempt);
                    break;
                }
                if (attempt == 1)
                {
                    Interlocked.Increment(ref _firstAttemptFailures);
                }
                Interlocked.Increment(ref _retries);
                _events.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {text} attempt {attempt}: {result.Status} {result.Failure}");
                if (attempt == MaxAttemptsPerTurn)
                {
                    Interlocked.Increment(ref _givenUp);
                    _failures.Enqueue($"{text}: given up after {attempt} attempts, last {result.Status} {result.Failure}");
                    return;
                }
                // As a client would: back off a little, with jitter.
                await Task.Delay(TimeSpan.FromMilliseconds(100 + random.Next(200)), CancellationToken.None);
            }
        }
    }

    /// <summary>Ends the run after its duration, or later if fewer than <c>minDisruptions</c> silos have been taken down
    /// by then (on a slow machine a restart may outlast the interval, and rounds are skipped while only one silo serves),
    /// but never later than three times the duration.</summary>
    private async Task StopAsync(CancellationTokenSource stop, Stopwatch running)
    {
        await Task.Delay(duration);
        while (Volatile.Read(ref _disruptions) < minDisruptions && running.Elapsed < 3 * duration)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
        await stop.CancelAsync();
    }

    /// <summary>Every interval, takes the next silo that serves down (0, 1, 2, 0, …) and starts it again at once, in the
    /// background: a slow restart does not slow the cadence. A silo is never taken down while it is the only one serving.</summary>
    private async Task<int> DisruptAsync(CancellationToken stop)
    {
        var next = 0;
        var restarts = new Task?[TestCluster.SiloCount];
        var started = Stopwatch.StartNew();
        for (var round = 1; ; round++)
        {
            // On a fixed schedule (every interval since the start), however long taking a silo down took.
            try
            {
                var due = Interval * round - started.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, stop);
                }
                stop.ThrowIfCancellationRequested();
            }
            catch (OperationCanceledException)
            {
                break;
            }
            // Serving: never taken down or back and ready, and in the front end's rotation. A silo that has joined but is
            // still warming up, or that the front end has not seen yet, serves no one: taking down the last silo that
            // does would leave the cluster with none, which no gateway survives without errors.
            var routed = cluster.FrontEndView;
            var up = Enumerable.Range(0, TestCluster.SiloCount)
                .Where(i => (restarts[i] is null or { IsCompleted: true }) && IsRouted(routed, cluster.Silos[i].FrontEndUrl)).ToList();
            if (up.Count < 2)
            {
                _events.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} skipped: fewer than two silos serve");
                continue;
            }
            var victim = up.Contains(next) ? next : up[0];
            _events.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {disruption} silo {victim} ({cluster.Silos[victim].Url})");
            restarts[victim] = DisruptAndRestartAsync(victim);
            Interlocked.Increment(ref _disruptions);
            next = (victim + 1) % TestCluster.SiloCount;
        }
        await Task.WhenAll(restarts.Where(r => r is not null)!);
        return Volatile.Read(ref _disruptions);
    }

    private async Task DisruptAndRestartAsync(int index)
    {
        var silo = cluster.Silos[index];
        if (disruption == SiloDisruption.Kill)
        {
            cluster.Kill(index);
        }
        else
        {
            silo.Terminate();
            await silo.WaitForExitAsync(TimeSpan.FromMinutes(1));
        }
        // As a supervisor would (systemd's Restart=, a Kubernetes pod): a silo that dies while starting is started again.
        // On a starved machine the cluster may declare a joining silo dead before it could answer a probe.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await cluster.RestartAsync(index, () => _events.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} silo {index} rejoined"));
                break;
            }
            catch (InvalidOperationException e) when (attempt < MaxStartAttempts)
            {
                _events.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} silo {index} failed to start ({FirstLine(e.Message)}); starting it again");
            }
        }
        _events.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} silo {index} ready");
        if (Environment.GetEnvironmentVariable(TestCluster.DumpVariable) is { } dump)
        {
            await File.WriteAllTextAsync(Path.Combine(dump, $"silo-{index}-{DateTime.UtcNow:HHmmss}.log"), cluster.Silos[index].Output);
        }
    }

    private static bool IsRouted(IReadOnlyList<SiloState> routed, string url)
    {
        foreach (var silo in routed)
        {
            if (silo.IsHealthy && string.Equals(silo.Address.TrimEnd('/'), url, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0];

    private static async Task<List<(string Role, string Text)>> ReadAllItemsAsync(HttpClient http, string conversationId)
    {
        var items = new List<(string Role, string Text)>();
        string? after = null;
        while (true)
        {
            var url = $"v1/conversations/{conversationId}/items?order=asc&limit=100" + (after is null ? "" : "&after=" + after);
            using var response = await http.GetAsync(url);
            var page = await Http.ReadSuccessJsonAsync(response);
            foreach (var item in page.GetProperty("data").EnumerateArray())
            {
                items.Add((item.GetProperty("role").GetString()!, string.Concat(item.GetProperty("content").EnumerateArray().Select(p => p.GetProperty("text").GetString()))));
                after = item.GetProperty("id").GetString();
            }
            if (!page.GetProperty("has_more").GetBoolean())
            {
                return items;
            }
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) != current)
        {
            current = Volatile.Read(ref target);
        }
    }
}

/// <summary>What a chaos run did and found.</summary>
public sealed record ChaosReport(
    SiloDisruption Disruption,
    int Clients,
    TimeSpan Elapsed,
    int Disruptions,
    long Turns,
    long FirstAttemptFailures,
    long Retries,
    long Status500,
    long Replays,
    long GivenUp,
    int MaxAttempts,
    int Lost,
    int Duplicated,
    int OutOfOrder,
    int UnacknowledgedStored,
    IReadOnlyList<string> Failures,
    IReadOnlyList<string> Events)
{
    public double FirstAttemptSuccess => Turns == 0 ? 0 : 1 - (double)FirstAttemptFailures / Turns;

    public string Summary =>
        $"{Disruption}: {Disruptions} silo(s) taken down in {Elapsed.TotalSeconds:0} s; {Clients} clients, {Turns} acknowledged turns " +
        $"({Turns / Math.Max(1, Elapsed.TotalSeconds):0} /s); first attempt succeeded {FirstAttemptSuccess:P3} ({FirstAttemptFailures} failed first, " +
        $"{Retries} retries, at most {MaxAttempts} attempts, {Replays} answered by replay); 500s {Status500}; lost {Lost}, duplicated {Duplicated}, " +
        $"out of order {OutOfOrder}, stored but never acknowledged {UnacknowledgedStored}, given up {GivenUp}";
}
