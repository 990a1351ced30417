namespace Parley.ClientApi.Routing;

/// <summary>The hash of the conversation named in the request's JSON body, set only when one was found.</summary>
internal sealed class BodyRoutingKeyFeature(ulong hash)
{
    public ulong Hash { get; } = hash;
}
