using Parley.Silo.Providers;

namespace Parley.Silo.Resilience;

/// <summary>The end of one attempt on a deployment: an answer whose first bytes have arrived (nothing has reached the
/// client yet, so any other outcome can still be retried), or a refusal read whole.</summary>
internal sealed class AttemptResult : IDisposable
{
    private AttemptResult(UpstreamCall? call, UpstreamBodyStream body, UpstreamFailure? failure)
    {
        Call = call;
        Body = body;
        Failure = failure;
    }

    public static AttemptResult Succeeded(UpstreamCall call, UpstreamBodyStream body) => new(call, body, null);

    public static AttemptResult Failed(UpstreamFailure failure) => new(null, default, failure);

    public bool IsSuccess => Failure is null;

    /// <summary>The live call of a success (its key's slot is held until it is disposed).</summary>
    public UpstreamCall? Call { get; }

    /// <summary>A success's body in OpenAI's format, its first bytes included.</summary>
    public UpstreamBodyStream Body { get; }

    public UpstreamFailure? Failure { get; }

    public void Dispose()
    {
        Body.Stream?.Dispose();
        Call?.Dispose();
    }
}

/// <summary>The upstream answered 2xx and then closed the connection before the first body byte: nothing reached the
/// client, so it is a failure to retry like a refused connection.</summary>
internal sealed class UpstreamEmptyBodyException(string provider)
    : IOException($"The upstream provider '{provider}' ended its answer before the first byte.");
