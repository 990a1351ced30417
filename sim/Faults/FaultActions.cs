using Microsoft.AspNetCore.Http;

namespace Parley.Sim.Faults;

/// <summary>Fault behaviour that every API of the simulator shares.</summary>
internal static class FaultActions
{
    /// <summary>A timeout fault answers nothing until the client gives up, or until the simulator shuts down
    /// (<paramref name="stopping"/>).</summary>
    public static async Task HangAsync(HttpContext context, CancellationToken stopping)
    {
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var aborted = context.RequestAborted.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), released);
        await using var stopped = stopping.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), released);
        await released.Task;
    }
}
