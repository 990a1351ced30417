using System.Runtime.InteropServices;
using System.Text.Json;
using Parley.GrainInterfaces.Conversations;

namespace Parley.Silo.Chat;

/// <summary>Reads how a completion was answered (its id, creation time, model, fingerprint and finish reason) so that a
/// stored turn can be replayed in the same shape.</summary>
internal static class TurnReplies
{
    /// <summary>The head fields of a completion or chunk object.</summary>
    public static (string? Id, long Created, string? Model, string? Fingerprint) Head(JsonElement root)
        => (String(root, "id"u8), root.TryGetProperty("created"u8, out var created) && created.TryGetInt64(out var seconds) ? seconds : 0,
            String(root, "model"u8), String(root, "system_fingerprint"u8));

    /// <summary>A non-streamed completion: the head, choices[0].finish_reason and the usage object.</summary>
    public static TurnReply FromCompletion(JsonElement root)
    {
        var (id, created, model, fingerprint) = Head(root);
        string? finish = null;
        if (root.TryGetProperty("choices"u8, out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0
            && choices[0].ValueKind == JsonValueKind.Object)
        {
            finish = String(choices[0], "finish_reason"u8);
        }
        return new TurnReply(id, created, model, finish, fingerprint, Usage(root));
    }

    /// <summary>The <c>usage</c> object of a completion or chunk, byte for byte; null when absent or null.</summary>
    public static byte[]? Usage(JsonElement root)
        => root.TryGetProperty("usage"u8, out var usage) && usage.ValueKind == JsonValueKind.Object ? JsonMarshal.GetRawUtf8Value(usage).ToArray() : null;

    private static string? String(JsonElement element, ReadOnlySpan<byte> name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
