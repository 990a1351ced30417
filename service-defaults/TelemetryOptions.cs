using Microsoft.Extensions.Options;

namespace Parley.ServiceDefaults;

/// <summary>Telemetry of a Parley host (<c>Parley:Telemetry</c>): the Prometheus endpoint on the management port,
/// tracing, and OTLP export of traces, metrics and logs.</summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "Parley:Telemetry";

    /// <summary>The resource's <c>service.name</c>; empty: the host's own (<c>parley-silo</c>, <c>parley-frontend</c>).
    /// <c>OTEL_SERVICE_NAME</c> and <c>OTEL_RESOURCE_ATTRIBUTES</c> still override it.</summary>
    public string? ServiceName { get; set; }

    /// <summary>The resource's <c>service.instance.id</c>; empty: the host name and process id (the pod name in
    /// Kubernetes), unique among the processes running at one time.</summary>
    public string? InstanceId { get; set; }

    public MetricsEndpointOptions Metrics { get; set; } = new();

    public TracingOptions Traces { get; set; } = new();

    public OtlpOptions Otlp { get; set; } = new();
}

/// <summary>The Prometheus scrape endpoint. It is served on a management port of its own, never on the API port.</summary>
public sealed class MetricsEndpointOptions
{
    public const int DefaultPort = 9464;
    public const string DefaultPath = "/metrics";

    public bool Enabled { get; set; } = true;

    /// <summary>The management port: the host listens on it at the same addresses as its API (<c>Urls</c>), and answers
    /// nothing there but <see cref="Path"/>.</summary>
    public int Port { get; set; } = DefaultPort;

    public string Path { get; set; } = DefaultPath;
}

public sealed class TracingOptions
{
    /// <summary>Record spans even without an OTLP endpoint (tests add an in-memory exporter). With an OTLP endpoint
    /// tracing is always on.</summary>
    public bool Enabled { get; set; }

    /// <summary>Share of new traces kept (a trace started upstream of Parley follows its parent's decision).</summary>
    public double SampleRatio { get; set; } = 1.0;
}

public sealed class OtlpOptions
{
    public const string Grpc = "grpc";
    public const string HttpProtobuf = "http/protobuf";

    /// <summary>Where traces, metrics and logs are exported; empty: the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> if
    /// set, else no export. For <c>http/protobuf</c> this is the base URL (<c>/v1/traces</c>, … are appended).</summary>
    public string? Endpoint { get; set; }

    /// <summary><c>grpc</c> or <c>http/protobuf</c> (with no endpoint here, <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> decides).</summary>
    public string Protocol { get; set; } = Grpc;
}

internal sealed class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>
{
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        var failures = new List<string>();
        var metrics = options.Metrics;
        if (metrics.Enabled && metrics.Port is < 1 or > 65535)
        {
            failures.Add($"{TelemetryOptions.SectionName}:Metrics:Port must be a port number (1-65535); it was {metrics.Port}.");
        }
        if (metrics.Enabled && (string.IsNullOrEmpty(metrics.Path) || metrics.Path[0] != '/'))
        {
            failures.Add($"{TelemetryOptions.SectionName}:Metrics:Path must start with '/'.");
        }
        if (options.Traces.SampleRatio is < 0 or > 1 || double.IsNaN(options.Traces.SampleRatio))
        {
            failures.Add($"{TelemetryOptions.SectionName}:Traces:SampleRatio must be between 0 and 1.");
        }
        var otlp = options.Otlp;
        if (!string.IsNullOrWhiteSpace(otlp.Endpoint)
            && (!Uri.TryCreate(otlp.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            failures.Add($"{TelemetryOptions.SectionName}:Otlp:Endpoint must be an absolute http(s) URL.");
        }
        if (otlp.Protocol is not (OtlpOptions.Grpc or OtlpOptions.HttpProtobuf))
        {
            failures.Add($"{TelemetryOptions.SectionName}:Otlp:Protocol must be '{OtlpOptions.Grpc}' or '{OtlpOptions.HttpProtobuf}'.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
