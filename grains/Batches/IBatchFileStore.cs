namespace Parley.Grains.Batches;

/// <summary>Files of the Files API (batch inputs, and the output and error files batches write): Redis in a cluster
/// (the content in chunks beside a small metadata hash), memory embedded.</summary>
public interface IBatchFileStore
{
    /// <summary>Stores <paramref name="file"/> with its content, replacing a file of the same id.</summary>
    Task SaveAsync(StoredFile file, ReadOnlyMemory<byte> content);

    Task<StoredFile?> GetAsync(string fileId);

    /// <summary>The whole content; null when the file does not exist.</summary>
    Task<byte[]?> ReadContentAsync(string fileId);

    /// <summary>A user's files, newest first (or oldest first), after the file <paramref name="after"/>, of one purpose
    /// when given; <paramref name="limit"/> + 1 are read so the caller knows whether more follow.</summary>
    Task<IReadOnlyList<StoredFile>> ListAsync(string userId, string? purpose, string? after, int limit, bool ascending);

    /// <summary>False when no such file exists.</summary>
    Task<bool> DeleteAsync(string fileId);
}

/// <summary>A stored file's metadata (OpenAI's File object without its constant fields).</summary>
/// <param name="CreatedAt">Unix seconds.</param>
/// <param name="Sequence">Orders files created in the same second (Unix milliseconds at creation).</param>
public sealed record StoredFile(string Id, string UserId, string Filename, string Purpose, long Bytes, long CreatedAt, long Sequence);

public static class FilePurposes
{
    public const string Batch = "batch";
    public const string BatchOutput = "batch_output";

    /// <summary>A long document's text, stored by <c>POST /v1/document_jobs</c> for its job.</summary>
    public const string UserData = "user_data";
}
