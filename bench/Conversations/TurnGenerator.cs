using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Parley.GrainInterfaces.Conversations;

namespace Parley.Bench.Conversations;

/// <summary>One generated chat message: its text (to count and to measure) and the message object as a client sends it.</summary>
internal sealed record GeneratedMessage(string Role, string Text, ChatMessageRecord Record);

/// <summary>
/// Chat-like messages of mixed length (<see cref="MinWords"/> to <see cref="MaxWords"/> words, uniformly), from a
/// fixed seed so two runs store the same conversation. Prose of varied sentence lengths with numbers, and now and then
/// (about one assistant reply in eight) a short code block, so the JSON carries escaped quotes and newlines the way
/// real replies do; the tokenizer and the writer are not fed a uniform diet of short English words.
/// </summary>
internal sealed class TurnGenerator(int seed)
{
    public const int MinWords = 20;
    public const int MaxWords = 200;
    private const int CodeBlockOneIn = 8;

    private static readonly string[] s_words =
    [
        "the", "a", "conversation", "model", "context", "token", "budget", "summary", "request", "reply", "user", "assistant",
        "server", "cluster", "grain", "storage", "memory", "latency", "throughput", "window", "prompt", "message", "turn",
        "older", "recent", "whole", "never", "always", "because", "when", "while", "after", "before", "which", "that",
        "is", "are", "was", "were", "be", "has", "have", "had", "can", "could", "should", "would", "will", "may", "might",
        "and", "or", "but", "so", "if", "then", "than", "with", "without", "into", "from", "over", "under", "between",
        "quickly", "slowly", "carefully", "roughly", "exactly", "probably", "usually", "rarely", "today", "yesterday",
        "river", "mountain", "kitchen", "garden", "recipe", "flour", "butter", "oven", "minutes", "hours", "weekend",
        "travel", "ticket", "station", "morning", "evening", "question", "answer", "example", "problem", "solution",
        "function", "variable", "compiler", "database", "index", "query", "schema", "deployment", "container", "queue",
        "explain", "describe", "compare", "suggest", "consider", "remember", "measure", "improve", "reduce", "increase",
        "important", "simple", "difficult", "obvious", "strange", "useful", "expensive", "cheap", "reliable", "noisy",
        "we", "you", "they", "it", "this", "these", "those", "our", "your", "their", "its", "my", "me", "them", "us",
        "first", "second", "third", "last", "next", "every", "each", "some", "many", "few", "several", "enough", "most",
        "understand", "configure", "restart", "retry", "timeout", "failure", "success", "limit", "quota", "pacing",
    ];

    private static readonly string[] s_codeBlocks =
    [
        "```csharp\nvar total = items.Sum(i => i.Tokens);\nif (total > budget)\n{\n    Console.WriteLine($\"over by {total - budget}\");\n}\n```",
        "```python\ndef fits(turns, budget):\n    return sum(t[\"tokens\"] for t in turns) <= budget\n```",
        "```json\n{\"model\": \"gpt-4o\", \"max_tokens\": 512, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n```",
        "```bash\ncurl -s http://localhost:8080/v1/models -H \"Authorization: Bearer $KEY\" | jq '.data[].id'\n```",
    ];

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Random _random = new(seed);
    private readonly StringBuilder _text = new();
    private readonly ArrayBufferWriter<byte> _json = new(4096);

    public GeneratedMessage User() => Next("user");

    public GeneratedMessage Assistant() => Next("assistant");

    private GeneratedMessage Next(string role)
    {
        var text = Text(withCode: role == "assistant" && _random.Next(CodeBlockOneIn) == 0);
        return new GeneratedMessage(role, text, new ChatMessageRecord(role, ToJson(role, text)));
    }

    private string Text(bool withCode)
    {
        _text.Clear();
        var words = _random.Next(MinWords, MaxWords + 1);
        var sentenceLeft = 0;
        for (var i = 0; i < words; i++)
        {
            if (sentenceLeft == 0)
            {
                sentenceLeft = _random.Next(6, 19);
            }
            var word = _random.Next(25) == 0 ? _random.Next(2, 100_000).ToString(System.Globalization.CultureInfo.InvariantCulture) : s_words[_random.Next(s_words.Length)];
            var startsSentence = _text.Length == 0 || _text[^1] == '.' || _text[^1] == '?';
            if (_text.Length > 0)
            {
                _text.Append(' ');
            }
            if (startsSentence)
            {
                _text.Append(char.ToUpperInvariant(word[0])).Append(word.AsSpan(1));
            }
            else
            {
                _text.Append(word);
            }
            if (--sentenceLeft == 0 || i == words - 1)
            {
                _text.Append(_random.Next(6) == 0 ? '?' : '.');
            }
            else if (_random.Next(9) == 0)
            {
                _text.Append(',');
            }
        }
        if (withCode)
        {
            _text.Append("\n\n").Append(s_codeBlocks[_random.Next(s_codeBlocks.Length)]);
        }
        return _text.ToString();
    }

    private string ToJson(string role, string text)
    {
        _json.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(_json, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("role", role);
            writer.WriteString("content", text);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(_json.WrittenSpan);
    }
}
