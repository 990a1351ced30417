using System.Text.Json;
using Parley.Silo.Providers;

namespace Parley.Silo.Chat;

/// <summary>What the silo needs to know about a validated chat completions request; the body itself stays raw.
/// <see cref="Model"/> is the model it goes to (for a name served by request rules alone, first the one it is counted
/// with); <see cref="RequestedModel"/> is the name the client sent. <see cref="MaxReplyTokens"/> is
/// <c>max_completion_tokens</c>, else <c>max_tokens</c>, if the client sent one. <see cref="Temperature"/> is the
/// sampling temperature sent (OpenAI's default 1 when absent or null; NaN if it cannot be read as a double).</summary>
internal readonly record struct ChatRequest(
    CatalogModel Model,
    string RequestedModel,
    bool HasTools,
    bool Stream,
    bool ClientIncludeUsage,
    string? ConversationId,
    JsonElement Messages,
    int? MaxReplyTokens,
    double Temperature);
