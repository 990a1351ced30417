namespace Parley.Grains.Batches;

/// <summary>Runs one batch line through the host's chat completion path (the host implements it: quotas, policy,
/// routing, upstream key pacing, as for <c>POST /v1/chat/completions</c>).</summary>
public interface IBatchLineExecutor
{
    Task<BatchLineResult> ExecuteAsync(BatchLineRequest request, CancellationToken cancellationToken);
}

/// <param name="RequestId">The line's deterministic request id (<c>batch_req_…</c>), sent as <c>x-request-id</c>.</param>
public sealed record BatchLineRequest(string BatchId, int Line, string RequestId, string UserId, string KeyId, ReadOnlyMemory<byte> Body);

/// <param name="ReachedUpstream">Whether any upstream attempt was made (or may have been): a line that did not reach
/// the upstream may be started again; one that did never is.</param>
/// <param name="Retryable">Refused before reaching the upstream for a reason that passes (a quota or pacing 429, no
/// deployment available): the line is tried again after <paramref name="RetryAfter"/>.</param>
public sealed record BatchLineResult(int StatusCode, string RequestId, byte[] Body, bool ReachedUpstream, bool Retryable, TimeSpan? RetryAfter);
