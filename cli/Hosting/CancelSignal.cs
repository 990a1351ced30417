namespace Parley.Cli.Hosting;

/// <summary>Ctrl-C, as an event a command can take over (chat cancels the answer, batch drains), so tests and the
/// real console share the same code.</summary>
public interface ICancelSignal
{
    /// <summary>Subscribes; the handler returns true to keep the process alive. Dispose to unsubscribe.</summary>
    IDisposable Subscribe(Func<bool> onCancel);
}

internal sealed class ConsoleCancelSignal : ICancelSignal
{
    public IDisposable Subscribe(Func<bool> onCancel)
    {
        ConsoleCancelEventHandler handler = (_, e) => e.Cancel = onCancel();
        Console.CancelKeyPress += handler;
        return new Unsubscriber(() => Console.CancelKeyPress -= handler);
    }

    private sealed class Unsubscriber(Action action) : IDisposable
    {
        private Action? _action = action;

        public void Dispose() => Interlocked.Exchange(ref _action, null)?.Invoke();
    }
}
