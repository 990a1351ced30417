namespace Parley.Tokenizer.Chat;

/// <summary>
/// One plain-text chat message as the chat-format counter sees it. A struct over existing strings so that counting a
/// conversation allocates nothing per message.
/// </summary>
/// <param name="Role">system, user, assistant, developer, …</param>
/// <param name="Content">The message text; for multi-part content, the concatenation of its text parts.</param>
/// <param name="Name">The optional participant name, which costs its own tokens plus one.</param>
public readonly record struct ChatMessage(string Role, string? Content, string? Name = null);
