using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Parley.Bench.FrontEnd;

/// <summary>What the front end (client-api, static-list mode) costs: wrk against a trivially fast in-process silo
/// stand-in, directly and through the front end, in interleaved rounds (this machine is shared, so a disturbance
/// lands on both alike), reported as medians. Besides the throughput ratio and the added latency it reports the
/// CPU time each process spends per request: against a real silo, whose CPU per request is far higher than the
/// stand-in's, the share of throughput the front end costs on shared cores is about
/// front-end CPU / (front-end CPU + silo CPU) per request.</summary>
internal static class FrontEndBenchmark
{
    public static async Task<int> RunAsync(FrontEndBenchmarkOptions options)
    {
        if (!Wrk.IsInstalled())
        {
            Console.Error.WriteLine("wrk is not installed: apt-get install -y wrk");
            return 1;
        }
        // PARLEY_BENCH_FRONTEND_DLL measures another build of the front end (e.g. an older commit's) the same way.
        var dll = Environment.GetEnvironmentVariable("PARLEY_BENCH_FRONTEND_DLL") is { Length: > 0 } other
            ? other
            : Repository.BuiltDll("client-api", "Parley.ClientApi");

        await using var silo = await EchoSilo.StartAsync(Parley.Testing.FreePort.Next(), Parley.Testing.FreePort.Next(), options.StreamEvents);
        var http2 = options.SiloProtocol == Parley.ClientApi.Hosting.SiloProtocol.Http2;
        await using var frontEnd = await FrontEndProcess.StartAsync(dll, Parley.Testing.FreePort.Next(), http2 ? silo.Http2Url : silo.Url, options.SiloProtocol);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Front-end benchmark: wrk -t{options.Threads} -c{options.Connections}, {options.Rounds} interleaved rounds of {options.Seconds} s per target "
            + $"(each after {options.WarmupSeconds} s warm-up), medians; {Environment.ProcessorCount} cores shared by wrk, the silo stand-in and the front end; "
            + $"the front end to the stand-in over {(http2 ? "HTTP/2" : "HTTP/1.1")}."));
        Console.WriteLine();
        Console.WriteLine("| request | direct req/s | via front end req/s | kept | direct p50 ms | added p50 ms | direct p99 ms | added p99 ms | front end CPU µs/req (user + kernel) | silo CPU µs/req | errors |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        // A fresh process is still tiering up its code and sizing its heap for a while: one pass over every request
        // shape through both targets first, so the first shape measured is not the one that pays for it.
        foreach (var scenario in Enum.GetValues<Scenario>())
        {
            await Wrk.RunAsync(frontEnd.Url, scenario, TimeSpan.FromSeconds(options.WarmupSeconds * 2), options.Connections, options.Threads);
            await Wrk.RunAsync(silo.Url, scenario, TimeSpan.FromSeconds(options.WarmupSeconds), options.Connections, options.Threads);
        }
        foreach (var scenario in Enum.GetValues<Scenario>())
        {
            var direct = new List<Measurement>();
            var through = new List<Measurement>();
            for (var round = 0; round < options.Rounds; round++)
            {
                // Alternate which target goes first, so neither always runs on a warmer (or busier) machine.
                var directFirst = round % 2 == 0;
                foreach (var viaFrontEnd in directFirst ? new[] { false, true } : [true, false])
                {
                    var url = viaFrontEnd ? frontEnd.Url : silo.Url;
                    await Wrk.RunAsync(url, scenario, TimeSpan.FromSeconds(options.WarmupSeconds), options.Connections, options.Threads);
                    var siloCpu = Process.GetCurrentProcess().TotalProcessorTime;
                    var frontEndCpu = frontEnd.CpuTime();
                    var result = await Wrk.RunAsync(url, scenario, TimeSpan.FromSeconds(options.Seconds), options.Connections, options.Threads);
                    var frontEndCpuAfter = frontEnd.CpuTime();
                    var measurement = new Measurement(result,
                        PerRequestMicroseconds(Process.GetCurrentProcess().TotalProcessorTime - siloCpu, result.Requests),
                        PerRequestMicroseconds(frontEndCpuAfter.User - frontEndCpu.User, result.Requests),
                        PerRequestMicroseconds(frontEndCpuAfter.System - frontEndCpu.System, result.Requests));
                    (viaFrontEnd ? through : direct).Add(measurement);
                }
            }
            var d = Median(direct);
            var t = Median(through);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {Describe(scenario)} | {d.Result.RequestsPerSecond:F0} | {t.Result.RequestsPerSecond:F0} | {t.Result.RequestsPerSecond / d.Result.RequestsPerSecond:P0} | "
                + $"{d.Result.P50Ms:F3} | {t.Result.P50Ms - d.Result.P50Ms:F3} | {d.Result.P99Ms:F3} | {t.Result.P99Ms - d.Result.P99Ms:F3} | "
                + $"{t.FrontEndUserMicroseconds + t.FrontEndKernelMicroseconds:F1} ({t.FrontEndUserMicroseconds:F1} + {t.FrontEndKernelMicroseconds:F1}) | {d.SiloCpuMicroseconds:F1} | {direct.Sum(m => m.Result.Errors) + through.Sum(m => m.Result.Errors)} |"));
        }
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"front end peak memory (VmHWM): {frontEnd.PeakWorkingSetBytes() / (1024.0 * 1024.0):F1} MiB. "
            + $"Against a real silo the front end's share is about its CPU µs/req / (that + the silo's CPU µs/req)."));
        return 0;
    }

    private static string Describe(Scenario scenario) => scenario switch
    {
        Scenario.BodyPeek => "chat, key in body or Authorization (body peeked)",
        Scenario.ConversationHeader => "chat, X-Parley-Conversation header",
        Scenario.Streaming => "chat, streamed (SSE)",
        _ => scenario.ToString(),
    };

    private static double PerRequestMicroseconds(TimeSpan cpu, long requests) => requests == 0 ? 0 : cpu.TotalMicroseconds / requests;

    private static Measurement Median(List<Measurement> rounds)
    {
        static double Mid(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted[sorted.Length / 2];
        }
        var requestsPerSecond = Mid(rounds.Select(r => r.Result.RequestsPerSecond));
        var result = new WrkResult((long)requestsPerSecond, TimeSpan.FromSeconds(1), rounds.Sum(r => r.Result.Errors),
            Mid(rounds.Select(r => r.Result.P50Ms)), Mid(rounds.Select(r => r.Result.P99Ms)));
        return new Measurement(result, Mid(rounds.Select(r => r.SiloCpuMicroseconds)),
            Mid(rounds.Select(r => r.FrontEndUserMicroseconds)), Mid(rounds.Select(r => r.FrontEndKernelMicroseconds)));
    }

    private sealed record Measurement(WrkResult Result, double SiloCpuMicroseconds, double FrontEndUserMicroseconds, double FrontEndKernelMicroseconds);
}
