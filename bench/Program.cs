using System.Globalization;
using Parley.Bench.Audit;
using Parley.Bench.Auth;
using Parley.Bench.Chaos;
using Parley.Bench.Cli;
using Parley.Bench.Conversations;
using Parley.Bench.Encryption;
using Parley.Bench.FrontEnd;
using Parley.Bench.Gateway;
using Parley.Bench.Policy;
using Parley.Bench.Quotas;
using Parley.Bench.Routing;
using Parley.Bench.Tokenizer;

namespace Parley.Bench;

public static class Program
{
    private const string Usage = """
        Parley benchmarks. Run in Release:  dotnet run -c Release --project bench -- <benchmark> [options]

          gateway   added latency, CPU per request and throughput: direct to the simulator, through a silo, through the front end +
                    silo, and conversation turns through the front end with the grain on the serving silo and on the other (2 silos
                    on Redis)
                    --rate N (default 1000 req/s)  --seconds N (5)  --warmup N (1)  --rounds N (3)  --concurrency N (64)
                    --throughput-seconds N (5)  --conversations N (500 per placement)
                    --silo-protocol http2|http1 (http2: the front end to the silos' HTTP/2 port, as deployed)
          frontend  what the front end (client-api, static list) costs: wrk against a trivial in-process silo stand-in, directly
                    and through the front end, interleaved rounds; throughput kept, added latency, CPU µs per request
                    --seconds N (5)  --warmup N (1)  --rounds N (3)  --connections N (64)  --threads N (2)  --events N (16)
                    --silo-protocol http2|http1 (http2)
          chaos     a 3-silo cluster (redis-server, silo processes, the front end) under 16 clients continuing their own
                    conversations while a silo is killed (or stopped) every interval and restarted; counts lost, duplicated
                    and out-of-order turns, 500s and first-attempt failures
                    --minutes N (5)  --clients N (16)  --interval N (10 s)  --disruption kill|terminate (kill)
          cli       the `parley` command line as a process against a silo process on Redis and the simulator: `parley batch`
                    at a requested QPS (the rate achieved, by the CLI's clock and by arrivals upstream), and `parley summarize`
                    on a long text with parallel calls against one call at a time, each answer taking --latency-ms
                    --lines N (600)  --qps N (20)  --concurrency N (16)  --pages N (200)  --latency-ms N (500)
                    --summarize-concurrency N (8)
          auth      what authenticating a request costs (the bearer policy scheme, in process): a cached virtual key, and a JWT
                    from a real OpenIddict issuer on loopback (RS256 verified each time); µs and bytes per request
                    --iterations N (50000)  --rounds N (5)
          tokenizer CountTokens throughput (MB/s, tokens/s) and bytes allocated per pass, per encoding, on one thread, on a
                    mixed English / Chinese / C# text
                    --size-mb N (10)  --warmup N (2)  --passes N (7)
          quota     latency of one quota admission against redis-server on loopback (next to a PING), settlement, the
                    in-process ledger, an upstream key's lesson reaching another silo, and admissions/s with concurrent callers
                    --iterations N (20000)  --seconds N (5)  --concurrency N (64)  --users N (1000)
          routing   what routing and the resilience pipeline add per upstream call when nothing fails (in process, an
                    upstream that answers at once, a 60/30/10 group)
                    --calls N (200000)  --rounds N (5)
          conversation
                    the conversation grain on real Orleans (a silo in this process, composed as the silo composes it) against a
                    redis-server started for the run, and the in-memory store: append latency and bytes Redis receives per turn
                    while one conversation grows to --turns turns (a turn costs O(turn)); a fresh activation's first prompt build
                    and the bytes it reads (deactivated through IManagementGrain.DeactivateGrain each time); heap per idle
                    conversation next to an empty grain's, and the Redis round trips of the next turn; prompt-build and
                    body-write timing of an activated long conversation. Long conversations: one at budget 1,000,000 (every
                    turn in every prompt), one at a 128k window summarised in the background by a stand-in summariser, one at
                    a 128k window whose summariser fails (the drop-only fallback, for reference)
                    --turns N (1000)            turns each long conversation grows to
                    --iterations N (20000)      timed prompt builds per budget on the activated conversations
                    --write-iterations N (2000) timed body writes per budget
                    --activations N (300)       timed fresh activations per long conversation
                    --conversations N (5000)    idle conversations (and as many empty grains of each probe kind)
                    --idle-turns N (20)         turns each idle conversation gets before it sits idle
                    --idle-timeout-seconds N (2) Parley:Conversations:Context:WorkingSetIdleTimeout of the idle-memory silo
                    --next-turns N (200)        idle conversations given a next turn (round trips, latency)
                    --store both|redis|memory (both)  the idle-memory figures are taken on Redis only
          audit     the audit trail: on the request path, a record built, sealed into its chain (SHA-256) and queued, and the
                    masked excerpt of a 2 KB prompt (µs and bytes per request); the writer's throughput into SQLite and into
                    a real PostgreSQL started for the run (binary COPY), records/s
                    --iterations N (200000)  --records N (200000)  --batch N (1000)  --rounds N (5)
          policy    the PII and keyword policy: scanning MB/s on mixed Chinese/English text (detectors, 1,000 keywords, a bank's
                    policy on one text and on 2 KB messages, the streaming filter), and what it adds to a turn with a 2 KB prompt
                    --size-mb N (8)  --passes N (7)  --iterations N (20000)  --rounds N (5)
          encryption what encryption at rest costs a turn: a typical user and assistant transcript entry encoded and sealed
                    (AES-256-GCM) and opened and decoded, the conversation's grain state serialised and sealed and back, each
                    next to the codec alone; µs and bytes per operation, stored bytes before and after
                    --iterations N (50000)  --rounds N (5)
        """;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 1 : 0;
        }

        var options = ParseOptions(args.AsSpan(1));
        switch (args[0])
        {
            case "gateway":
                return await GatewayBenchmark.RunAsync(new GatewayBenchmarkOptions(
                    Get(options, "rate", 1000), Get(options, "seconds", 5), Get(options, "warmup", 1), Get(options, "rounds", 3),
                    Get(options, "concurrency", 64), Get(options, "throughput-seconds", 5), Get(options, "conversations", 500), SiloProtocol(options)));
            case "frontend":
                return await FrontEndBenchmark.RunAsync(new FrontEndBenchmarkOptions(
                    Get(options, "seconds", 5), Get(options, "warmup", 1), Get(options, "rounds", 3),
                    Get(options, "connections", 64), Get(options, "threads", 2), Get(options, "events", 16), SiloProtocol(options)));
            case "cli":
                return await CliBenchmark.RunAsync(new CliBenchmarkOptions(Get(options, "lines", 600), Get(options, "qps", 20), Get(options, "concurrency", 16),
                    Get(options, "pages", 200), Get(options, "latency-ms", 500), Get(options, "summarize-concurrency", 8)));
            case "chaos":
                return await ChaosBenchmark.RunAsync(new ChaosBenchmarkOptions(Get(options, "minutes", 5), Get(options, "clients", 16),
                    Get(options, "interval", 10),
                    options.TryGetValue("disruption", out var disruption) && disruption == "terminate" ? Parley.Cluster.Testing.Chaos.SiloDisruption.Terminate
                        : Parley.Cluster.Testing.Chaos.SiloDisruption.Kill));
            case "tokenizer":
                return TokenizerBenchmark.Run(new TokenizerBenchmarkOptions(
                    Get(options, "size-mb", 10), Get(options, "warmup", 2), Get(options, "passes", 7)));
            case "quota":
                return await QuotaBenchmark.RunAsync(new QuotaBenchmarkOptions(
                    Get(options, "iterations", 20_000), Get(options, "seconds", 5), Get(options, "concurrency", 64), Get(options, "users", 1000)));
            case "routing":
                return await RoutingBenchmark.RunAsync(new RoutingBenchmarkOptions(Get(options, "calls", 200_000), Get(options, "rounds", 5)));
            case "conversation":
                return await ConversationBenchmark.RunAsync(new ConversationBenchmarkOptions(
                    Get(options, "turns", ConversationBenchmarkOptions.DefaultTurns), Get(options, "iterations", ConversationBenchmarkOptions.DefaultIterations),
                    Get(options, "write-iterations", ConversationBenchmarkOptions.DefaultWriteIterations),
                    Get(options, "activations", ConversationBenchmarkOptions.DefaultActivations),
                    Get(options, "conversations", ConversationBenchmarkOptions.DefaultConversations),
                    Get(options, "idle-turns", ConversationBenchmarkOptions.DefaultIdleTurns),
                    Get(options, "idle-timeout-seconds", ConversationBenchmarkOptions.DefaultIdleTimeoutSeconds),
                    Get(options, "next-turns", ConversationBenchmarkOptions.DefaultNextTurns),
                    ConversationBenchmarkOptions.ParseStores(options.GetValueOrDefault("store", "both"))));
            case "auth":
                return await AuthBenchmark.RunAsync(new AuthBenchmarkOptions(Get(options, "iterations", 50_000), Get(options, "rounds", 5)));
            case "audit":
                return await AuditBenchmark.RunAsync(new AuditBenchmarkOptions(
                    Get(options, "iterations", 200_000), Get(options, "records", 200_000), Get(options, "rounds", 5), Get(options, "batch", 1000)));
            case "policy":
                return await PolicyBenchmark.RunAsync(new PolicyBenchmarkOptions(
                    Get(options, "size-mb", 8), Get(options, "passes", 7), Get(options, "iterations", 20_000), Get(options, "rounds", 5)));
            case "encryption":
                return EncryptionBenchmark.Run(new EncryptionBenchmarkOptions(Get(options, "iterations", 50_000), Get(options, "rounds", 5)));
            default:
                Console.Error.WriteLine($"unknown benchmark '{args[0]}'");
                Console.Error.WriteLine(Usage);
                return 1;
        }
    }

    private static Dictionary<string, string> ParseOptions(ReadOnlySpan<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected '--name value', got '{args[i]}'");
            }

            options[args[i][2..]] = args[++i];
        }

        return options;
    }

    private static int Get(Dictionary<string, string> options, string name, int fallback)
        => options.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    /// <summary><c>--silo-protocol</c>: http2 (the default, as deployed) or http1.</summary>
    private static Parley.ClientApi.Hosting.SiloProtocol SiloProtocol(Dictionary<string, string> options)
        => !options.TryGetValue("silo-protocol", out var value) ? Parley.ClientApi.Hosting.SiloProtocol.Http2 : value switch
        {
            "http2" => Parley.ClientApi.Hosting.SiloProtocol.Http2,
            "http1" => Parley.ClientApi.Hosting.SiloProtocol.Http1,
            _ => throw new ArgumentException($"--silo-protocol must be http2 or http1, not {value}"),
        };
}
