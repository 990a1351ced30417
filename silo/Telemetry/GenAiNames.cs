using Parley.Silo.Providers;

namespace Parley.Silo.Telemetry;

/// <summary>OpenTelemetry's GenAI semantic-convention names (attributes and metrics) Parley emits, and Parley's own
/// attribute names beside them.</summary>
internal static class GenAiNames
{
    public const string OperationName = "gen_ai.operation.name";
    public const string ProviderName = "gen_ai.provider.name";
    public const string RequestModel = "gen_ai.request.model";
    public const string ResponseModel = "gen_ai.response.model";
    public const string TokenType = "gen_ai.token.type";
    public const string InputTokens = "gen_ai.usage.input_tokens";
    public const string OutputTokens = "gen_ai.usage.output_tokens";
    public const string FinishReasons = "gen_ai.response.finish_reasons";
    public const string ErrorType = "error.type";

    public const string Chat = "chat";
    public const string Input = "input";
    public const string Output = "output";

    public const string TokenUsageMetric = "gen_ai.client.token.usage";
    public const string OperationDurationMetric = "gen_ai.client.operation.duration";
    public const string TimeToFirstChunkMetric = "gen_ai.client.operation.time_to_first_chunk";

    /// <summary>The public model the client asked for (a group of deployments).</summary>
    public const string ParleyModel = "parley.model";

    /// <summary>The configured provider (e.g. <c>openai-eu</c>), beside the convention's provider system.</summary>
    public const string ParleyProvider = "parley.provider";

    /// <summary>The deployment that answered: <c>provider/upstream-model</c>.</summary>
    public const string ParleyDeployment = "parley.deployment";

    public const string ParleyAttempts = "parley.attempts";
    public const string ParleyStatus = "parley.response.status_code";
    public const string ParleyStream = "parley.stream";

    /// <summary>The convention's well-known provider systems for Parley's protocols (an OpenAI-compatible endpoint
    /// speaks <c>openai</c>).</summary>
    public static string ProviderSystem(ProviderOptions options) => options.Type switch
    {
        ProviderOptions.AzureOpenAIType => "azure.ai.openai",
        ProviderOptions.AnthropicType => "anthropic",
        _ => "openai",
    };

    private static readonly string[] StatusTexts = [.. Enumerable.Range(0, 600).Select(static i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>An HTTP status as a label value, without allocating.</summary>
    public static string Status(int status) => (uint)status < (uint)StatusTexts.Length ? StatusTexts[status] : "other";
}
