using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Parley.ClientApi.Health;

internal static partial class HealthLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Silo {Silo} failed a request ({Error}); out of rotation for {ReactivationPeriod}.")]
    public static partial void SiloMarkedUnhealthy(ILogger logger, string silo, ForwarderError error, TimeSpan reactivationPeriod);
}
