namespace Parley.Grains.Batches;

/// <summary>Files in the process's memory: the embedded silo's store (lost on restart, like all its state).</summary>
public sealed class MemoryBatchFileStore : IBatchFileStore
{
    private readonly Dictionary<string, (StoredFile File, byte[] Content)> _files = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public Task SaveAsync(StoredFile file, ReadOnlyMemory<byte> content)
    {
        lock (_lock)
        {
            _files[file.Id] = (file, content.ToArray());
        }
        return Task.CompletedTask;
    }

    public Task<StoredFile?> GetAsync(string fileId)
    {
        lock (_lock)
        {
            return Task.FromResult(_files.TryGetValue(fileId, out var entry) ? entry.File : null);
        }
    }

    public Task<byte[]?> ReadContentAsync(string fileId)
    {
        lock (_lock)
        {
            return Task.FromResult(_files.TryGetValue(fileId, out var entry) ? entry.Content : null);
        }
    }

    public Task<IReadOnlyList<StoredFile>> ListAsync(string userId, string? purpose, string? after, int limit, bool ascending)
    {
        lock (_lock)
        {
            var files = _files.Values.Select(e => e.File).Where(f => f.UserId == userId);
            var ordered = ascending
                ? files.OrderBy(f => f.Sequence).ThenBy(f => f.Id, StringComparer.Ordinal)
                : files.OrderByDescending(f => f.Sequence).ThenByDescending(f => f.Id, StringComparer.Ordinal);
            IEnumerable<StoredFile> page = ordered.ToList();
            if (after is not null)
            {
                page = page.SkipWhile(f => f.Id != after).Skip(1);
            }
            return Task.FromResult<IReadOnlyList<StoredFile>>([.. page.Where(f => purpose is null || f.Purpose == purpose).Take(limit + 1)]);
        }
    }

    public Task<bool> DeleteAsync(string fileId)
    {
        lock (_lock)
        {
            return Task.FromResult(_files.Remove(fileId));
        }
    }
}
