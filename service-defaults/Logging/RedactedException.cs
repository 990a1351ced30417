using System.Net.Http;
using System.Net.Sockets;

namespace Parley.ServiceDefaults.Logging;

/// <summary>An exception as it may be logged when its message could quote input (a parser's complaint about a body, an
/// upstream's error text, a grain's refusal naming what it got): same type name, stack trace and chain of inner
/// exceptions, the message withheld. Messages of the kinds that describe only Parley's own state (connections,
/// timeouts, cancellation, Orleans' and Redis' faults) are kept.</summary>
public sealed class RedactedException : Exception
{
    private readonly string? _stackTrace;

    private RedactedException(Exception original, Exception? inner)
        : base(MessageOf(original), inner)
    {
        OriginalType = original.GetType().FullName ?? original.GetType().Name;
        _stackTrace = original.StackTrace;
        HResult = original.HResult;
    }

    /// <summary>The type of the exception this stands for.</summary>
    public string OriginalType { get; }

    public override string? StackTrace => _stackTrace;

    /// <summary>The exception to hand to a log call: <paramref name="exception"/> with every message in its chain that
    /// could quote input withheld. Null stays null.</summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(exception))]
    public static Exception? Of(Exception? exception) => exception switch
    {
        null => null,
        RedactedException redacted => redacted,
        _ => new RedactedException(exception, Of(exception.InnerException)),
    };

    public override string ToString()
    {
        var text = OriginalType + ": " + Message;
        if (InnerException is not null)
        {
            text += " ---> " + InnerException + Environment.NewLine + "   --- End of inner exception stack trace ---";
        }
        return _stackTrace is null ? text : text + Environment.NewLine + _stackTrace;
    }

    private static string MessageOf(Exception exception)
        => KeepsMessage(exception) ? exception.Message : "(message withheld: it may quote input)";

    private static bool KeepsMessage(Exception exception)
    {
        if (exception is OperationCanceledException or TimeoutException or SocketException or HttpRequestException)
        {
            return true;
        }
        var ns = exception.GetType().Namespace ?? "";
        return ns.StartsWith("Orleans", StringComparison.Ordinal) || ns.StartsWith("StackExchange.Redis", StringComparison.Ordinal);
    }
}
