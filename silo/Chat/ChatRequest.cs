using System.Text.Json;
using Parley.Silo.Providers;

namespace Parley.Silo.Chat;

/// <summary>What the silo needs to know about a validated chat completions request; the body itself stays raw.</summary>
internal readonly record struct ChatRequest(
    CatalogModel Model,
    bool Stream,
    bool ClientIncludeUsage,
    string? ConversationId,
    JsonElement Messages);
