using Microsoft.Extensions.Logging;

namespace Parley.Sim.Hosting;

/// <summary>The simulator's log events. Keys never appear in them.</summary>
internal static partial class SimulatorLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Injecting fault {Fault} (forced: {Forced}) for model {Model}")]
    public static partial void FaultInjected(ILogger logger, string fault, bool forced, string? model);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Rate limited a request for model {Model} on {Limit}; resets in {ResetIn}")]
    public static partial void RateLimited(ILogger logger, string? model, string limit, TimeSpan resetIn);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "The client went away before the answer was complete")]
    public static partial void ClientGone(ILogger logger);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Refused a request with {Status}: {Message}")]
    public static partial void Refused(ILogger logger, int status, string message);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "The simulator failed to handle a request")]
    public static partial void Failed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "The request's body could not be read: {Reason}")]
    public static partial void BodyUnreadable(ILogger logger, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Fault settings changed at run time: {Settings}, seed {Seed}")]
    public static partial void FaultSettingsChanged(ILogger logger, Faults.FaultRates settings, int seed);
}
