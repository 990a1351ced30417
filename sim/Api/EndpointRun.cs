using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Parley.Sim.Faults;
using Parley.Sim.Hosting;
using Parley.Sim.Observability;

namespace Parley.Sim.Api;

/// <summary>What every API's endpoint does around its handling: counts the request in flight, treats a client that left
/// as such, and logs real failures itself.</summary>
internal static class EndpointRun
{
    public static async Task RunAsync<TArg>(HttpContext context, SimulatorState state, ILogger logger, Func<HttpContext, TArg, Task> handle, TArg arg)
    {
        state.RequestStarted();
        try
        {
            await handle(context, arg);
        }
        catch (Exception ex) when (context.RequestAborted.IsCancellationRequested && ex is OperationCanceledException or IOException)
        {
            SimulatorLog.ClientGone(logger);
        }
        catch (Exception ex) when (ex is not SimulatedConnectionCutException)
        {
            // Logged here because the simulator's host silences Kestrel's application-error log (every planned cut
            // would show up there as an error).
            SimulatorLog.Failed(logger, ex);
            throw;
        }
        finally
        {
            state.RequestFinished();
        }
    }
}
