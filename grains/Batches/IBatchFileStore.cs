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
/// <param name="Sequence">Orders a user's files: <see cref="FileSequence.Next"/> at creation.</param>
public sealed record StoredFile(string Id, string UserId, string Filename, string Purpose, long Bytes, long CreatedAt, long Sequence);

/// <summary>The order of files: Unix time in microseconds at creation, strictly increasing within a process, so that two
/// files made in the same millisecond (an upload and the next) still list in the order they were made. (Across silos,
/// files made within the same microsecond order by id.)</summary>
public static class FileSequence
{
    private static long s_last;

    public static long Next(DateTimeOffset now)
    {
        var candidate = now.ToUnixTimeMilliseconds() * 1000;
        while (true)
        {
            var last = Volatile.Read(ref s_last);
            var next = Math.Max(candidate, last + 1);
            if (Interlocked.CompareExchange(ref s_last, next, last) == last)
            {
                return next;
            }
        }
    }
}

public static class FilePurposes
{
    public const string Batch = "batch";
    public const string BatchOutput = "batch_output";

    /// <summary>A long document's text, stored by <c>POST /v1/document_jobs</c> for its job.</summary>
    public const string UserData = "user_data";
}
