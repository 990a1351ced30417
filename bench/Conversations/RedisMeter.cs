using System.Globalization;
using StackExchange.Redis;

namespace Parley.Bench.Conversations;

/// <summary>What redis-server itself counted between two moments (INFO stats and commandstats): bytes it received
/// (total_net_input_bytes), bytes it sent (total_net_output_bytes) and calls per command. Redis counts the commands a
/// Lua script runs too (an EVALSHA of the transcript append also shows as its RPUSH and HSET calls).</summary>
/// <param name="CpuSeconds">The server's own CPU time (INFO cpu: used_cpu_user + used_cpu_sys).</param>
/// <param name="Microseconds">Time Redis spent in each command (commandstats usec; a script's includes its commands).</param>
internal sealed record RedisDelta(long InputBytes, long OutputBytes, IReadOnlyDictionary<string, long> Calls, double CpuSeconds,
    IReadOnlyDictionary<string, long> Microseconds)
{
    /// <summary>Microseconds Redis spent running scripts (EVALSHA and EVAL).</summary>
    public long ScriptMicroseconds => Microseconds.GetValueOrDefault("evalsha") + Microseconds.GetValueOrDefault("eval");

    public long Count(string command) => Calls.TryGetValue(command, out var calls) ? calls : 0;

    /// <summary>The sum of two windows.</summary>
    public RedisDelta Plus(RedisDelta other)
    {
        static Dictionary<string, long> Sum(IReadOnlyDictionary<string, long> a, IReadOnlyDictionary<string, long> b)
        {
            var sum = new Dictionary<string, long>(a, StringComparer.Ordinal);
            foreach (var (key, value) in b)
            {
                sum[key] = sum.GetValueOrDefault(key) + value;
            }
            return sum;
        }
        return new RedisDelta(InputBytes + other.InputBytes, OutputBytes + other.OutputBytes, Sum(Calls, other.Calls), CpuSeconds + other.CpuSeconds,
            Sum(Microseconds, other.Microseconds));
    }

    /// <summary>Script round trips: EVALSHA, and EVAL the first time a script is sent.</summary>
    public long Scripts => Count("evalsha") + Count("eval");
}

/// <summary>Reads Redis' own counters. The two INFO commands of a measurement are themselves traffic: the request of
/// the second and the reply of the first fall inside the window, so their size (measured by two INFOs back to back
/// just before) is taken off. INFO needs an admin connection, so the meter has one of its own (the silo's shared
/// connection is not one); before a window ends, a PING through the silo's connection makes sure what the silo sent
/// without waiting (the activity index's fire-and-forget ZADD) has reached Redis, and its own bytes are taken off too.</summary>
internal sealed class RedisMeter : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _multiplexer;
    private readonly IDatabase _database;
    private readonly IDatabase _silo;
    private (long Input, long Output) _ping;

    private RedisMeter(ConnectionMultiplexer multiplexer, IDatabase silo)
    {
        _multiplexer = multiplexer;
        _database = multiplexer.GetDatabase();
        _silo = silo;
    }

    /// <param name="silo">The silo's own connection, flushed at the end of every window.</param>
    public static async Task<RedisMeter> ConnectAsync(string connectionString, IDatabase silo)
    {
        var configuration = ConfigurationOptions.Parse(connectionString);
        configuration.AllowAdmin = true;
        var meter = new RedisMeter(await ConnectionMultiplexer.ConnectAsync(configuration), silo);
        // What one flushing PING adds to a window: a window with nothing else in it.
        var window = await meter.StartAsync();
        var alone = await window.StopAsync();
        meter._ping = (alone.InputBytes, alone.OutputBytes);
        return meter;
    }

    public async ValueTask DisposeAsync()
    {
        await _multiplexer.CloseAsync();
        _multiplexer.Dispose();
    }

    /// <summary>Starts a measurement; <see cref="Window.StopAsync"/> ends it.</summary>
    public async Task<Window> StartAsync()
    {
        // What the silo sent before the window (fire-and-forget commands) lands before it, not inside it.
        await _silo.PingAsync();
        var first = await ReadAsync();
        var second = await ReadAsync();
        return new Window(this, second, Subtract(second, first));
    }

    /// <summary>The size of the state hash's <c>data</c> field (the grain state's JSON) and the etag.</summary>
    public async Task<long> HashFieldLengthAsync(RedisKey key, string field) => await _database.HashStringLengthAsync(key, field);

    private async Task<Counters> ReadAsync()
    {
        var text = (string)(await _database.ExecuteAsync("INFO", "stats", "cpu", "commandstats"))!;
        long input = 0, output = 0;
        double cpu = 0;
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        var usec = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("total_net_input_bytes:", StringComparison.Ordinal))
            {
                input = long.Parse(line.AsSpan("total_net_input_bytes:".Length), CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("total_net_output_bytes:", StringComparison.Ordinal))
            {
                output = long.Parse(line.AsSpan("total_net_output_bytes:".Length), CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("used_cpu_user:", StringComparison.Ordinal) || line.StartsWith("used_cpu_sys:", StringComparison.Ordinal))
            {
                cpu += double.Parse(line.AsSpan(line.IndexOf(':', StringComparison.Ordinal) + 1), CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                // cmdstat_evalsha:calls=12,usec=345,usec_per_call=28.75,rejected_calls=0,failed_calls=0
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var name = line["cmdstat_".Length..colon];
                var fields = line[(colon + 1)..].Split(',');
                calls[name] = long.Parse(fields[0].AsSpan("calls=".Length), CultureInfo.InvariantCulture);
                usec[name] = long.Parse(fields[1].AsSpan("usec=".Length), CultureInfo.InvariantCulture);
            }
        }
        return new Counters(input, output, cpu, calls, usec);
    }

    private static RedisDelta Subtract(Counters after, Counters before)
    {
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        var usec = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, count) in after.Calls)
        {
            var delta = count - before.Calls.GetValueOrDefault(name);
            if (delta != 0 && name != "info")
            {
                calls[name] = delta;
                usec[name] = after.Microseconds[name] - before.Microseconds.GetValueOrDefault(name);
            }
        }
        return new RedisDelta(after.InputBytes - before.InputBytes, after.OutputBytes - before.OutputBytes, calls, after.CpuSeconds - before.CpuSeconds, usec);
    }

    internal sealed record Counters(long InputBytes, long OutputBytes, double CpuSeconds, IReadOnlyDictionary<string, long> Calls,
        IReadOnlyDictionary<string, long> Microseconds);

    internal sealed class Window(RedisMeter meter, Counters start, RedisDelta overhead)
    {
        public async Task<RedisDelta> StopAsync()
        {
            await meter._silo.PingAsync();
            var delta = Subtract(await meter.ReadAsync(), start);
            var calls = delta.Calls.Where(c => c.Key != "ping").ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
            return delta with
            {
                InputBytes = delta.InputBytes - overhead.InputBytes - meter._ping.Input,
                OutputBytes = delta.OutputBytes - overhead.OutputBytes - meter._ping.Output,
                CpuSeconds = Math.Max(0, delta.CpuSeconds - overhead.CpuSeconds),
                Calls = calls,
            };
        }
    }
}
