namespace Parley.Grains.Batches;

/// <summary>A batch's progress: an append-only log per batch in which a line is recorded as started before it is sent
/// and its result once answered. The checks are atomic in the store (one Redis script), so even two activations of one
/// batch cannot both start a line, and a line gets at most one result. Also the index of a user's batches.</summary>
public interface IBatchProgressStore
{
    /// <summary>Records "line started by <paramref name="owner"/>" unless the line has a result or another owner's
    /// start; true when the caller may send the line (a start it recorded itself before counts as its own).</summary>
    Task<bool> TryStartAsync(string batchId, int line, string owner);

    /// <summary>Takes back <paramref name="owner"/>'s start of a line that was refused before it reached the upstream,
    /// so it can be started again.</summary>
    Task ReleaseAsync(string batchId, int line, string owner);

    /// <summary>Appends the line's result unless it has one; false when it had.</summary>
    Task<bool> CompleteAsync(string batchId, LineResult result);

    /// <summary>The log folded: results by line, and the lines started without a result (with their owner).</summary>
    Task<BatchProgress> ReadAsync(string batchId);

    Task AddToIndexAsync(string userId, string batchId, long createdAtMs);

    /// <summary>A user's batch ids, newest first, after <paramref name="after"/>; up to <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<string>> ListAsync(string userId, string? after, int limit);
}

/// <summary>One line's entry of the output (<paramref name="Succeeded"/>) or error file, as written there.</summary>
/// <param name="Line">0-based index of the line in the input file.</param>
public sealed record LineResult(int Line, bool Succeeded, byte[] OutputLine);

public sealed record BatchProgress(IReadOnlyDictionary<int, LineResult> Results, IReadOnlyDictionary<int, string> Started)
{
    public static BatchProgress Empty { get; } = new(new Dictionary<int, LineResult>(), new Dictionary<int, string>());
}
