using Parley.Silo.Routing;

namespace Parley.Silo.Providers;

/// <summary>One public model name, bound from <c>Parley:Models:&lt;public name&gt;</c>: either one deployment
/// (<see cref="Provider"/>, <see cref="UpstreamModel"/>, <see cref="ContextWindow"/>) or a group of them
/// (<see cref="Deployments"/>), each with a weight and a priority.</summary>
public sealed class ModelOptions
{
    public const string DefaultOwnedBy = "parley";

    /// <summary>The one provider serving this model (the shorthand for a group of one deployment).</summary>
    public string Provider { get; set; } = "";

    /// <summary>The model name sent upstream (the Azure deployment name for Azure); defaults to the public name.</summary>
    public string? UpstreamModel { get; set; }

    /// <summary>The context window in tokens (prompt and reply together). With one deployment it is that deployment's.
    /// With a group it is what conversations compress to (default: the smallest window of the group, so every deployment
    /// can take the prompt). Unset everywhere: conversations assume Parley:Conversations:DefaultContextWindow, and single
    /// requests are left for the upstream to judge.</summary>
    public int? ContextWindow { get; set; }

    /// <summary>The deployments behind this name. Within the lowest priority number that has a healthy deployment, calls
    /// are split by weight (or by latency, see <see cref="Strategy"/>); higher numbers are fallbacks.</summary>
    public List<DeploymentOptions> Deployments { get; set; } = [];

    /// <summary>How a call picks among the healthy deployments of one priority.</summary>
    public RoutingStrategy Strategy { get; set; } = RoutingStrategy.Weighted;

    /// <summary>Another public model tried when a deployment refuses the request on content policy
    /// (<c>content_policy_violation</c>, <c>content_filter</c>); unset, the refusal is the answer.</summary>
    public string? ContentPolicyFallback { get; set; }

    /// <summary>The tokenizer encoding (<c>o200k_base</c> or <c>cl100k_base</c>) when OpenAI's model table does not
    /// know the upstream name (an Azure deployment, a fine-tune, a simulator). Counts with it are exact unless
    /// <see cref="EstimateTokens"/> says otherwise.</summary>
    public string? Encoding { get; set; }

    /// <summary>Marks token counts as estimates (another provider's model counted with an OpenAI encoding). Default:
    /// an estimate only when neither OpenAI's table nor <see cref="Encoding"/> gives the encoding.</summary>
    public bool? EstimateTokens { get; set; }

    public string? OwnedBy { get; set; }
}

/// <summary>One deployment of a model group: a provider and the model it serves, bound from
/// <c>Parley:Models:&lt;name&gt;:Deployments:&lt;n&gt;</c>.</summary>
public sealed class DeploymentOptions
{
    public const int DefaultWeight = 1;

    public string Provider { get; set; } = "";

    /// <summary>The upstream model (Azure: the deployment name); defaults to the public name.</summary>
    public string? UpstreamModel { get; set; }

    /// <summary>This deployment's share within its priority (60/30/10 splits calls 60 %, 30 %, 10 %).</summary>
    public int Weight { get; set; } = DefaultWeight;

    /// <summary>0 is tried first; higher numbers only when every deployment of the lower ones failed or is open.</summary>
    public int Priority { get; set; }

    /// <summary>This deployment's context window in tokens. A prompt that cannot fit is routed to a larger one of the
    /// group, and an upstream <c>context_length_exceeded</c> moves the call to a larger one.</summary>
    public int? ContextWindow { get; set; }
}
