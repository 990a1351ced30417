using Microsoft.Extensions.Logging;
using Parley.GrainInterfaces.Identity;

namespace Parley.Silo.Auth.Revocation;

internal static partial class RevocationLog
{
    // The id is left out: a key id is not a secret, but nothing about credentials is logged beyond what an operator needs.
    [LoggerMessage(EventId = 2111, Level = LogLevel.Warning,
        Message = "Silo {Silo} did not confirm a {Scope} revocation within {Timeout}; it stops trusting the credential within {CacheTtl}")]
    public static partial void NotConfirmed(ILogger logger, IdentityScope scope, SiloAddress silo, TimeSpan timeout, TimeSpan cacheTtl, Exception exception);
}
