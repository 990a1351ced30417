using System.Text;
using Microsoft.Extensions.Logging;

namespace Parley.Testing.Logs;

/// <summary>One log record as one line of text with everything a logging provider could print or export: level,
/// category, event, the rendered message, every structured value, every scope's values, and the exception's full text
/// (type, message, stack, inner exceptions). What the leak checks scan.</summary>
public static class LogRecordText
{
    public static string Format<TState>(string category, LogLevel level, EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter, IExternalScopeProvider? scopes)
    {
        var line = new StringBuilder(256);
        line.Append(level).Append(' ').Append(category).Append('[').Append(eventId.Id).Append("] ");
        line.Append(formatter(state, exception));
        if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            line.Append(" |");
            foreach (var (key, value) in pairs)
            {
                line.Append(' ').Append(key).Append('=').Append(Flatten(value));
            }
        }
        scopes?.ForEachScope(static (scope, builder) =>
        {
            builder.Append(" | scope ");
            if (scope is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    builder.Append(key).Append('=').Append(Flatten(value)).Append(' ');
                }
            }
            else
            {
                builder.Append(scope);
            }
        }, line);
        if (exception is not null)
        {
            line.Append(" | exception ").Append(exception);
        }
        // One record, one line: the scanner reads lines.
        return line.Replace('\r', ' ').Replace('\n', ' ').ToString();
    }

    private static string? Flatten(object? value) => value switch
    {
        null => "(null)",
        string text => text,
        System.Collections.IEnumerable items => string.Join(",", items.Cast<object?>()),
        _ => value.ToString(),
    };
}
