using System.Diagnostics;
using System.Diagnostics.Metrics;
using Parley.Silo.Chat;
using Parley.Silo.Providers;
using Parley.Silo.Routing;

namespace Parley.Silo.Telemetry;

/// <summary>What a chat completion reports, under the meter and activity source <c>Parley.Chat</c>:
/// <list type="bullet">
/// <item><c>parley.chat.requests</c>: every chat completion by public model, provider (<c>none</c> when no upstream
/// answered: cache hits, replays, refusals) and HTTP status (499: the client left);</item>
/// <item><c>parley.cache.lookups</c>: response-cache lookups by model and result (hit, miss);</item>
/// <item>GenAI semantic conventions for each routed call: <c>gen_ai.client.token.usage</c> (input and output tokens the
/// upstream reported), <c>gen_ai.client.operation.duration</c> (routing, retries and fallbacks included, to the end of
/// the answer) and <c>gen_ai.client.operation.time_to_first_chunk</c> (streams);</item>
/// <item>a client span <c>chat {upstream model}</c> around the routed call, parent of the upstream HTTP calls, with the
/// model, deployment, token and finish-reason attributes. Never message content.</item>
/// </list>
/// Tags are <see cref="TagList"/>s of configured names: nothing is allocated per request while no listener asks for
/// more.</summary>
internal sealed class ChatTelemetry : IDisposable
{
    public const string MeterName = "Parley.Chat";
    public const string ActivitySourceName = "Parley.Chat";
    public const string NoProvider = "none";

    // Explicit buckets the GenAI conventions recommend.
    private static readonly long[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
    private static readonly double[] DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
    private static readonly double[] FirstChunkBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

    private static readonly ActivitySource Source = new(ActivitySourceName);

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _cacheLookups;
    private readonly Histogram<long> _tokens;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _firstChunk;

    public ChatTelemetry(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _requests = _meter.CreateCounter<long>("parley.chat.requests", "{request}", "Chat completions by public model, provider and HTTP status");
        _cacheLookups = _meter.CreateCounter<long>("parley.cache.lookups", "{lookup}", "Response cache lookups by public model and result (hit, miss)");
        _tokens = _meter.CreateHistogram(GenAiNames.TokenUsageMetric, "{token}", "Input and output tokens of upstream calls, as the upstream reported them",
            tags: null, advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });
        _duration = _meter.CreateHistogram(GenAiNames.OperationDurationMetric, "s", "Duration of routed chat calls: routing, retries and fallbacks, to the end of the answer",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _firstChunk = _meter.CreateHistogram(GenAiNames.TimeToFirstChunkMetric, "s", "Time from the start of a streamed call to its first content chunk",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = FirstChunkBuckets });
    }

    public void Request(string model, string provider, int status)
    {
        if (!_requests.Enabled)
        {
            return;
        }
        var tags = new TagList
        {
            { "model", model },
            { "provider", provider },
            { "status", GenAiNames.Status(status) },
        };
        _requests.Add(1, tags);
    }

    /// <summary>Like <see cref="Request(string, string, int)"/> for a request that ended in an exception (answered by the
    /// error handling: 503 for a cluster fault, else 500).</summary>
    public void Request(string model, string provider, string status)
    {
        var tags = new TagList
        {
            { "model", model },
            { "provider", provider },
            { "status", status },
        };
        _requests.Add(1, tags);
    }

    public void CacheLookup(string model, bool hit)
        => _cacheLookups.Add(1, new KeyValuePair<string, object?>("model", model), new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));

    /// <summary>The span of one routed call; null when nobody listens (no allocation then).</summary>
    public static Activity? StartCall(CatalogModel model)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        var activity = Source.StartActivity(GenAiNames.Chat + " " + model.Id, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(GenAiNames.OperationName, GenAiNames.Chat);
            activity.SetTag(GenAiNames.ParleyModel, model.Id);
        }
        return activity;
    }

    /// <summary>Records a routed call that ended (answered, refused or failed).</summary>
    /// <param name="started">Its <see cref="Stopwatch.GetTimestamp"/> when routing began.</param>
    public void CallEnded(Activity? activity, ChatExchange exchange, in ChatCompletionResult result, long started)
    {
        var deployment = exchange.Deployment ?? exchange.Model.Primary;
        var system = GenAiNames.ProviderSystem(deployment.Provider.Options);
        var failed = result.Status >= 400 || result.Truncated;
        var error = failed ? (result.Truncated && result.Status < 400 ? "stream_cut" : GenAiNames.Status(result.Status)) : null;
        var tags = new TagList
        {
            { GenAiNames.OperationName, GenAiNames.Chat },
            { GenAiNames.ProviderName, system },
            { GenAiNames.RequestModel, deployment.Model.Name },
            { GenAiNames.ParleyModel, exchange.Model.Id },
            { GenAiNames.ParleyProvider, deployment.Provider.Name },
        };
        if (error is not null)
        {
            tags.Add(GenAiNames.ErrorType, error);
        }
        _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        if (error is null && exchange.Stream && exchange.FirstChunkTimestamp != 0)
        {
            _firstChunk.Record(Stopwatch.GetElapsedTime(started, exchange.FirstChunkTimestamp).TotalSeconds, tags);
        }
        if (result.Usage is { } usage && _tokens.Enabled)
        {
            var tokenTags = new TagList
            {
                { GenAiNames.OperationName, GenAiNames.Chat },
                { GenAiNames.ProviderName, system },
                { GenAiNames.RequestModel, deployment.Model.Name },
                { GenAiNames.ParleyModel, exchange.Model.Id },
                { GenAiNames.ParleyProvider, deployment.Provider.Name },
                { GenAiNames.TokenType, GenAiNames.Input },
            };
            _tokens.Record(usage.PromptTokens, tokenTags);
            tokenTags[5] = new KeyValuePair<string, object?>(GenAiNames.TokenType, GenAiNames.Output);
            _tokens.Record(usage.CompletionTokens, tokenTags);
        }
        if (activity is { IsAllDataRequested: true })
        {
            activity.DisplayName = GenAiNames.Chat + " " + deployment.Model.Name;
            activity.SetTag(GenAiNames.ProviderName, system);
            activity.SetTag(GenAiNames.RequestModel, deployment.Model.Name);
            activity.SetTag(GenAiNames.ParleyModel, exchange.Model.Id);
            activity.SetTag(GenAiNames.ParleyProvider, deployment.Provider.Name);
            activity.SetTag(GenAiNames.ParleyDeployment, deployment.Name);
            activity.SetTag(GenAiNames.ParleyAttempts, exchange.Attempts);
            activity.SetTag(GenAiNames.ParleyStream, exchange.Stream);
            activity.SetTag(GenAiNames.ParleyStatus, result.Status);
            if (result.Usage is { } spanUsage)
            {
                activity.SetTag(GenAiNames.InputTokens, spanUsage.PromptTokens);
                activity.SetTag(GenAiNames.OutputTokens, spanUsage.CompletionTokens);
            }
            if (result.FinishReason is { } finish)
            {
                activity.SetTag(GenAiNames.FinishReasons, new[] { finish });
            }
            if (error is not null)
            {
                activity.SetTag(GenAiNames.ErrorType, error);
                activity.SetStatus(ActivityStatusCode.Error);
            }
        }
    }

    public void Dispose() => _meter.Dispose();
}
