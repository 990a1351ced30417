namespace Parley.Sim.Hosting;

/// <summary>Settings of the upstream simulator, bound from the "Simulator" configuration section when it runs
/// standalone (the silo binds "Parley:Simulator" for its embedded one). Every time value is a TimeSpan
/// ("00:00:00.200"); every rate is a probability in [0, 1].</summary>
public sealed class SimulatorOptions
{
    public const string SectionName = "Simulator";
    public const int DefaultResponseTokens = 20;
    public const int DefaultTokensPerChunk = 1;
    public const int DefaultCutAfterChunks = 2;
    public const int DefaultRecordedRequests = 100;
    public const int DefaultMaxRequestBodyBytes = 16 * 1024 * 1024;
    public const int DefaultFaultSeed = 12345;
    public const string DefaultEncodingName = "o200k_base";
    public const int UnlimitedContextWindow = 0;
    public static readonly TimeSpan DefaultRateLimitWindow = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan DefaultRateLimitRetryAfter = TimeSpan.FromSeconds(1);

    /// <summary>The models served when <see cref="Models"/> is empty.</summary>
    public static IReadOnlyList<string> DefaultModels { get; } = ["sim-small", "sim-large"];

    /// <summary>Model ids listed by GET /v1/models and accepted by chat completions. Empty means
    /// <see cref="DefaultModels"/> (a default list would be appended to by the configuration binder, not replaced).</summary>
    public string[] Models { get; set; } = [];

    /// <summary>Accept any model name in requests (it is echoed back); /v1/models still lists <see cref="Models"/>.</summary>
    public bool AcceptAnyModel { get; set; }

    /// <summary>Encoding (o200k_base or cl100k_base) that counts tokens for models OpenAI's model table does not
    /// know (sim-small, bench names, …).</summary>
    public string DefaultEncoding { get; set; } = DefaultEncodingName;

    /// <summary>Per-model encoding overrides (model name, case-insensitive → encoding name); they win over OpenAI's
    /// model table and <see cref="DefaultEncoding"/>.</summary>
    public Dictionary<string, string> ModelEncodings { get; set; } = [];

    /// <summary>Context window in tokens of every model without an entry in <see cref="ModelContextWindows"/>: a
    /// request whose prompt tokens plus max_completion_tokens (or max_tokens) exceed it is refused with OpenAI's 400
    /// <c>context_length_exceeded</c>. <see cref="UnlimitedContextWindow"/> (0) accepts any length.</summary>
    public int ContextWindow { get; set; } = UnlimitedContextWindow;

    /// <summary>Per-model context windows (model name, case-insensitive → tokens; 0 = unlimited); they win over
    /// <see cref="ContextWindow"/>.</summary>
    public Dictionary<string, int> ModelContextWindows { get; set; } = [];

    /// <summary>Valid API keys. Empty means any non-empty bearer key is accepted.</summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>Completion length in tokens when max_tokens does not cut it shorter.</summary>
    public int ResponseTokens { get; set; } = DefaultResponseTokens;

    /// <summary>Delay before the first token (streaming) or before the whole answer (non-streaming); the starting
    /// value, changed at run time by <c>POST /sim/faults</c> (<c>time_to_first_token_ms</c>).</summary>
    public TimeSpan TimeToFirstToken { get; set; } = TimeSpan.Zero;

    /// <summary>Generation speed after the first token; 0 means no delay at all.</summary>
    public double TokensPerSecond { get; set; }

    /// <summary>Tokens carried by each streamed content chunk.</summary>
    public int TokensPerChunk { get; set; } = DefaultTokensPerChunk;

    /// <summary>Length of the fixed per-key rate-limit window (it starts at the key's first request).</summary>
    public TimeSpan RateLimitWindow { get; set; } = DefaultRateLimitWindow;

    /// <summary>Requests per key per window; 0 means unlimited.</summary>
    public int RequestsPerWindow { get; set; }

    /// <summary>Prompt plus completion tokens per key per window; 0 means unlimited.</summary>
    public int TokensPerWindow { get; set; }

    /// <summary>Share of requests answered 500, 502 or 503. Like every fault rate, this is the starting value:
    /// <c>POST /sim/faults</c> changes it at run time and <c>POST /sim/reset</c> restores it.</summary>
    public double ServerErrorRate { get; set; }

    /// <summary>Share of requests answered 429 at random (drawn by the same seeded dice as the other faults), whatever
    /// the per-key limits say; the answer carries <see cref="RateLimitRetryAfter"/>.</summary>
    public double RateLimitRate { get; set; }

    /// <summary>How long a random 429 (<see cref="RateLimitRate"/>) asks the client to wait: <c>retry-after-ms</c> exactly,
    /// <c>Retry-After</c> in whole seconds rounded up.</summary>
    public TimeSpan RateLimitRetryAfter { get; set; } = DefaultRateLimitRetryAfter;

    /// <summary>Share of requests that never answer (until the client gives up or the simulator stops).</summary>
    public double TimeoutRate { get; set; }

    /// <summary>Share of requests whose connection is cut after <see cref="CutAfterChunks"/> chunks.</summary>
    public double CutMidStreamRate { get; set; }

    /// <summary>Share of requests whose connection is cut before any response byte.</summary>
    public double CutBeforeFirstByteRate { get; set; }

    /// <summary>Seed of the fault dice, so a run with the same request order injects the same faults.</summary>
    public int FaultSeed { get; set; } = DefaultFaultSeed;

    /// <summary>SSE events written before a mid-stream cut (a non-streaming answer is cut halfway instead).</summary>
    public int CutAfterChunks { get; set; } = DefaultCutAfterChunks;

    /// <summary>How many request bodies SimulatorState keeps for tests; 0 disables recording.</summary>
    public int RecordedRequests { get; set; } = DefaultRecordedRequests;

    /// <summary>Larger request bodies are refused with 413.</summary>
    public int MaxRequestBodyBytes { get; set; } = DefaultMaxRequestBodyBytes;

    /// <summary>When set, a chat completion whose last user message contains this text (case-insensitive) is refused
    /// as OpenAI's safety system refuses one: 400 <c>invalid_request_error</c>, code <c>content_policy_violation</c>.
    /// Null or empty (the default) turns the check off.</summary>
    public string? ContentPolicyTrigger { get; set; }

    internal IReadOnlyList<string> EffectiveModels => Models.Length == 0 ? DefaultModels : Models;

    internal bool HasRateLimits => RequestsPerWindow > 0 || TokensPerWindow > 0;


    /// <summary>A human-readable summary for the standalone banner; never includes key values.</summary>
    public string Describe()
    {
        static string Limit(int value) => value == 0 ? "unlimited" : value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var keys = ApiKeys.Length == 0 ? "any non-empty key" : $"{ApiKeys.Length} configured key(s)";
        var models = AcceptAnyModel ? $"{string.Join(", ", EffectiveModels)} (any name accepted)" : string.Join(", ", EffectiveModels);
        var speed = TokensPerSecond == 0 ? "unpaced" : $"{TokensPerSecond} tokens/s";
        return string.Join(Environment.NewLine,
            $"  models:            {models}",
            $"  api keys:          {keys}",
            $"  response:          {ResponseTokens} tokens, first token after {TimeToFirstToken.TotalMilliseconds} ms, {speed}, {TokensPerChunk} token(s)/chunk",
            $"  rate limits:       {Limit(RequestsPerWindow)} requests and {Limit(TokensPerWindow)} tokens per {RateLimitWindow} per key",
            $"  faults:            5xx {ServerErrorRate:P1}, 429 {RateLimitRate:P1} (retry after {RateLimitRetryAfter.TotalMilliseconds} ms), timeout {TimeoutRate:P1}, cut mid-stream {CutMidStreamRate:P1} (after {CutAfterChunks} chunks), cut before first byte {CutBeforeFirstByteRate:P1}, seed {FaultSeed}",
            $"  content policy:    " + (string.IsNullOrEmpty(ContentPolicyTrigger) ? "off" : "refuses prompts containing the configured trigger"),
            $"  token counting:    OpenAI's model table, else {DefaultEncoding}" + (ModelEncodings.Count == 0 ? "" : $", {ModelEncodings.Count} override(s)"),
            $"  context window:    {Limit(ContextWindow)} tokens" + (ModelContextWindows.Count == 0 ? "" : $", {ModelContextWindows.Count} per-model override(s)"),
            $"  recorded requests: {RecordedRequests}");
    }
}
