namespace Parley.ClientApi.Hosting;

/// <summary>The front end's own settings (<c>Parley:FrontEnd</c>). Where the silos come from is decided by
/// <c>Parley:Redis:ConnectionString</c>: set → live silos from Redis membership; empty → <see cref="Silos"/>.</summary>
public sealed class FrontEndOptions
{
    public const string SectionName = "Parley:FrontEnd";
    public const int DefaultMaxAttempts = 3;
    public const int DefaultMaxConnectionsPerServer = 1024;
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DefaultPooledConnectionLifetime = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan DefaultPooledConnectionIdleTimeout = TimeSpan.FromMinutes(1);

    /// <summary>Base URLs of the silos (e.g. <c>http://127.0.0.1:5001</c>) when no Redis membership is configured.</summary>
    public string[] Silos { get; set; } = [];

    /// <summary>How many silos of a key's ranking are tried when they refuse the connection.</summary>
    public int MaxAttempts { get; set; } = DefaultMaxAttempts;

    /// <summary>Kept short: a silo that does not accept a connection quickly is treated as down and the next is tried.</summary>
    public TimeSpan ConnectTimeout { get; set; } = DefaultConnectTimeout;

    /// <summary>Connections are recycled so that DNS and address changes (pod replacement) are picked up.</summary>
    public TimeSpan PooledConnectionLifetime { get; set; } = DefaultPooledConnectionLifetime;

    public TimeSpan PooledConnectionIdleTimeout { get; set; } = DefaultPooledConnectionIdleTimeout;

    /// <summary>Long-lived streams each hold a connection, so the per-silo limit is generous.</summary>
    public int MaxConnectionsPerServer { get; set; } = DefaultMaxConnectionsPerServer;

    /// <summary>Set by the host when Redis membership supplies the silos (not bound from configuration).</summary>
    internal bool UsesMembership { get; set; }
}
