namespace Parley.GrainInterfaces.Batches;

/// <summary>One batch of the Batch API (key: the batch id, <c>batch_…</c>). It runs its input file's lines through the
/// silo's chat path at a bounded rate, records each line as started before it is sent and its result once answered,
/// and finishes with an output and an error file. Every call names the calling user: another user's batch answers
/// like a missing one (null).</summary>
public interface IBatchGrain : IGrainWithStringKey
{
    /// <summary>Creates the batch (status <c>validating</c>) and starts it. Null when the id is already taken.</summary>
    Task<BatchInfo?> CreateAsync(BatchCreation creation);

    Task<BatchInfo?> GetAsync(string userId);

    /// <summary>Asks the batch to stop: no new line is sent, the lines in flight finish, the rest are reported as
    /// cancelled. Null for a missing batch; a finished batch is returned unchanged.</summary>
    Task<BatchInfo?> CancelAsync(string userId);

    /// <summary>For operators: the batch whoever owns it, and the silo its activation lives on (Orleans' identity of it).</summary>
    Task<(BatchInfo? Batch, string Silo)> InspectAsync();
}

/// <summary>What <c>POST /v1/batches</c> asked for, validated by the silo.</summary>
/// <param name="KeyId">The virtual key the batch was created with: its lines are admitted against this key's and the
/// user's quotas.</param>
[GenerateSerializer, Immutable, Alias("parley.batch-creation")]
public sealed record BatchCreation(string UserId, string KeyId, string InputFileId, string Endpoint, string CompletionWindow,
    IReadOnlyDictionary<string, string>? Metadata);
