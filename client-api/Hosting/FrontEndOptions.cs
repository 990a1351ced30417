namespace Parley.ClientApi.Hosting;

/// <summary>The front end's own settings (<c>Parley:FrontEnd</c>). Where the silos come from is decided by
/// <c>Parley:Redis:ConnectionString</c>: set → the live silos of the Orleans cluster (the front end is an Orleans
/// client); empty → the fixed list <see cref="Silos"/>.</summary>
public sealed class FrontEndOptions
{
    public const string SectionName = "Parley:FrontEnd";
    public const int DefaultSiloHttpPort = 8080;
    public const int DefaultMaxAttempts = 3;
    public const int DefaultMaxConnectionsPerServer = 1024;
    public const int DefaultRoutingBodyPeekBytes = 64 * 1024;
    public const int DefaultHealthCheckFailureThreshold = 1;
    public const string DefaultHealthCheckPath = "/health/ready";
    public static readonly TimeSpan DefaultMembershipRefreshPeriod = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultMembershipStaleAfter = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultMembershipCallTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultGatewayListRefreshPeriod = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultHealthCheckInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultHealthCheckTimeout = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultReactivationPeriod = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DefaultActivityTimeout = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan DefaultPooledConnectionLifetime = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan DefaultPooledConnectionIdleTimeout = TimeSpan.FromMinutes(1);

    /// <summary>Base URLs of the silos (e.g. <c>http://127.0.0.1:5001</c>) when no Redis is configured.</summary>
    public string[] Silos { get; set; } = [];

    /// <summary>The HTTP port every silo serves on. A silo's URL is <c>http://{its Orleans IP}:{port}</c>: in
    /// Kubernetes every pod listens on the same port at its pod IP; on one machine each silo has its own loopback
    /// address (127.0.0.2, 127.0.0.3, …).</summary>
    public int SiloHttpPort { get; set; } = DefaultSiloHttpPort;

    /// <summary>How the front end speaks to the silos. <see cref="SiloProtocol.Http1"/>: HTTP/1.1, one connection per
    /// request in flight. <see cref="SiloProtocol.Http2"/>: cleartext HTTP/2 with prior knowledge, many requests in flight
    /// on each connection (more connections only past a silo's stream limit), so one socket read or write carries frames
    /// of several requests; the silos must serve HTTP/2 on <see cref="SiloHttpPort"/> (a silo's
    /// <c>Parley:Cluster:FrontEndHttp2Port</c>).</summary>
    public SiloProtocol SiloProtocol { get; set; } = SiloProtocol.Http1;

    /// <summary>How often the cluster is asked for its active silos.</summary>
    public TimeSpan MembershipRefreshPeriod { get; set; } = DefaultMembershipRefreshPeriod;

    /// <summary>After this long without an answer from the cluster the last known silos are forgotten (the front end
    /// answers 503 <c>no_silo_available</c> and is not ready). Shorter failures keep the last known silos, whose
    /// health checks keep working meanwhile.</summary>
    public TimeSpan MembershipStaleAfter { get; set; } = DefaultMembershipStaleAfter;

    /// <summary>Bound on one membership query (the Orleans client's response timeout).</summary>
    public TimeSpan MembershipCallTimeout { get; set; } = DefaultMembershipCallTimeout;

    /// <summary>How often the Orleans client re-reads the gateway list from Redis, so that it can reconnect when the
    /// silos it knew have all been replaced.</summary>
    public TimeSpan GatewayListRefreshPeriod { get; set; } = DefaultGatewayListRefreshPeriod;

    /// <summary>How many silos of a key's ranking one request may try (only while it is safe to retry).</summary>
    public int MaxAttempts { get; set; } = DefaultMaxAttempts;

    /// <summary>How much of a JSON request body is read to find its top-level <c>conversation</c> field when neither
    /// the path nor the <c>X-Parley-Conversation</c> header names one. 0 turns the peek off.</summary>
    public int RoutingBodyPeekBytes { get; set; } = DefaultRoutingBodyPeekBytes;

    /// <summary>Every silo's readiness probe: a silo answering anything but 2xx (503 while it drains) leaves the rotation.</summary>
    public string HealthCheckPath { get; set; } = DefaultHealthCheckPath;

    public TimeSpan HealthCheckInterval { get; set; } = DefaultHealthCheckInterval;

    public TimeSpan HealthCheckTimeout { get; set; } = DefaultHealthCheckTimeout;

    /// <summary>Failed probes in a row that take a silo out of the rotation (one passing probe puts it back).</summary>
    public int HealthCheckFailureThreshold { get; set; } = DefaultHealthCheckFailureThreshold;

    /// <summary>How long a silo that failed a forwarded request (refused, reset) stays out of the rotation.</summary>
    public TimeSpan ReactivationPeriod { get; set; } = DefaultReactivationPeriod;

    /// <summary>Kept short: a silo that does not accept a connection quickly is treated as down and the next is tried.</summary>
    public TimeSpan ConnectTimeout { get; set; } = DefaultConnectTimeout;

    /// <summary>A forwarded request with no byte moving either way for this long is cancelled (a stream that keeps
    /// sending is never cut).</summary>
    public TimeSpan ActivityTimeout { get; set; } = DefaultActivityTimeout;

    /// <summary>Connections are recycled so that address changes (pod replacement) are picked up.</summary>
    public TimeSpan PooledConnectionLifetime { get; set; } = DefaultPooledConnectionLifetime;

    public TimeSpan PooledConnectionIdleTimeout { get; set; } = DefaultPooledConnectionIdleTimeout;

    /// <summary>Long-lived streams each hold a connection, so the per-silo limit is generous.</summary>
    public int MaxConnectionsPerServer { get; set; } = DefaultMaxConnectionsPerServer;

    /// <summary>Runs the forwarding on the threads that wait for socket events instead of handing every request read,
    /// response read and write to the thread pool: Kestrel's <c>UnsafePreferInlineScheduling</c>, and (in the front
    /// end's own process, set before its first socket) the runtime's <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c>,
    /// which also gives it one event thread per core. A proxy's work per event is short and never blocks, so each request
    /// saves the thread hand-offs, which at moderate load cost more CPU than the forwarding itself (see
    /// docs/benchmarks.md). false: the runtime's defaults.</summary>
    public bool InlineCompletions { get; set; } = true;

    /// <summary>Set by the host when the Orleans cluster supplies the silos (not bound from configuration).</summary>
    internal bool UsesMembership { get; set; }
}
