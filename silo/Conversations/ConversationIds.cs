namespace Parley.Silo.Conversations;

/// <summary>Conversation ids: <c>conv_</c> and 32 lowercase hex digits (128 random bits). Checked before any grain is
/// addressed, so a malformed id never creates an activation.</summary>
public static class ConversationIds
{
    public const string Prefix = "conv_";
    public const int HexLength = 32;
    public const string InvalidIdCode = "invalid_conversation_id";

    public static string New() => Prefix + Guid.NewGuid().ToString("N");

    public static bool IsValid(string? id)
    {
        if (id is null || id.Length != Prefix.Length + HexLength || !id.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }
        foreach (var c in id.AsSpan(Prefix.Length))
        {
            if (!char.IsAsciiHexDigitLower(c))
            {
                return false;
            }
        }
        return true;
    }

    public static string InvalidIdMessage(string? id)
        => $"Invalid conversation id '{id}': expected '{Prefix}' followed by {HexLength} lowercase hexadecimal characters.";
}
