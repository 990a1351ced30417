namespace Parley.Runtime;

/// <summary>A timer owned by an activation. Its callback runs as a turn of that activation (never
/// concurrently with a grain call) and does not keep the activation alive unless <see cref="GrainTimerCreationOptions.KeepAlive"/>.</summary>
public interface IGrainTimer : IDisposable
{
    void Change(TimeSpan dueTime, TimeSpan period);
}

public readonly record struct GrainTimerCreationOptions(TimeSpan DueTime, TimeSpan Period)
{
    public bool KeepAlive { get; init; }
}
