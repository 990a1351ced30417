namespace Parley.Runtime.Hosting;

public sealed class MembershipOptions
{
    public const string SectionName = "Parley:Membership";
    public const string DefaultClusterId = "parley";
    public static readonly TimeSpan DefaultIAmAlivePeriod = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultDeathTimeout = TimeSpan.FromSeconds(20);
    public static readonly TimeSpan DefaultRefreshPeriod = TimeSpan.FromSeconds(2);

    public string ClusterId { get; set; } = DefaultClusterId;

    /// <summary>How often a silo renews its row's IAmAlive time.</summary>
    public TimeSpan IAmAlivePeriod { get; set; } = DefaultIAmAlivePeriod;

    /// <summary>A silo whose IAmAlive is older than this is treated as dead by every reader; a silo that has not
    /// renewed its own row for this long reports itself unhealthy.</summary>
    public TimeSpan DeathTimeout { get; set; } = DefaultDeathTimeout;

    /// <summary>How often readers re-read the table.</summary>
    public TimeSpan RefreshPeriod { get; set; } = DefaultRefreshPeriod;

    /// <summary>The base URL other processes use to reach this silo (e.g. <c>http://$(POD_IP):8080</c>). When unset,
    /// the first address Kestrel listens on is used, with a wildcard host replaced by the machine's host name.</summary>
    public string? AdvertisedAddress { get; set; }
}
