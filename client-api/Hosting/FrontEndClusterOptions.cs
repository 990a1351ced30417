namespace Parley.ClientApi.Hosting;

/// <summary>Which Orleans cluster the front end joins as a client (<c>Parley:Cluster</c>); the silos read the same
/// keys, so one ConfigMap configures both.</summary>
public sealed class FrontEndClusterOptions
{
    public const string SectionName = "Parley:Cluster";
    public const string DefaultId = "parley";

    public string ClusterId { get; set; } = DefaultId;

    public string ServiceId { get; set; } = DefaultId;
}
