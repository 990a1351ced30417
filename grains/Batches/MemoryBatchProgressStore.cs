namespace Parley.Grains.Batches;

/// <summary>Batch progress in the process's memory (the embedded silo), with the same checks as the Redis store.</summary>
public sealed class MemoryBatchProgressStore : IBatchProgressStore
{
    private readonly Dictionary<string, Log> _logs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(long CreatedAtMs, string Id)>> _index = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public Task<bool> TryStartAsync(string batchId, int line, string owner)
    {
        lock (_lock)
        {
            var log = LogOf(batchId);
            if (log.Results.ContainsKey(line) || log.Started.TryGetValue(line, out var holder) && holder != owner)
            {
                return Task.FromResult(false);
            }
            log.Started[line] = owner;
            log.Entries.Add($"start {line} {owner}");
            return Task.FromResult(true);
        }
    }

    public Task ReleaseAsync(string batchId, int line, string owner)
    {
        lock (_lock)
        {
            var log = LogOf(batchId);
            if (log.Started.TryGetValue(line, out var holder) && holder == owner)
            {
                log.Started.Remove(line);
                log.Entries.Add($"release {line} {owner}");
            }
            return Task.CompletedTask;
        }
    }

    public Task<bool> CompleteAsync(string batchId, LineResult result)
    {
        lock (_lock)
        {
            var log = LogOf(batchId);
            if (!log.Results.TryAdd(result.Line, result))
            {
                return Task.FromResult(false);
            }
            log.Started.Remove(result.Line);
            log.Entries.Add($"done {result.Line}");
            return Task.FromResult(true);
        }
    }

    public Task<BatchProgress> ReadAsync(string batchId)
    {
        lock (_lock)
        {
            return Task.FromResult(_logs.TryGetValue(batchId, out var log)
                ? new BatchProgress(new Dictionary<int, LineResult>(log.Results), new Dictionary<int, string>(log.Started))
                : BatchProgress.Empty);
        }
    }

    public Task AddToIndexAsync(string userId, string batchId, long createdAtMs)
    {
        lock (_lock)
        {
            if (!_index.TryGetValue(userId, out var list))
            {
                _index[userId] = list = [];
            }
            if (!list.Any(e => e.Id == batchId))
            {
                list.Add((createdAtMs, batchId));
            }
            return Task.CompletedTask;
        }
    }

    public Task<IReadOnlyList<string>> ListAsync(string userId, string? after, int limit)
    {
        lock (_lock)
        {
            if (!_index.TryGetValue(userId, out var list))
            {
                return Task.FromResult<IReadOnlyList<string>>([]);
            }
            IEnumerable<string> ids = list.OrderByDescending(e => e.CreatedAtMs).ThenByDescending(e => e.Id, StringComparer.Ordinal).Select(e => e.Id).ToList();
            if (after is not null)
            {
                ids = ids.SkipWhile(id => id != after).Skip(1);
            }
            return Task.FromResult<IReadOnlyList<string>>([.. ids.Take(limit)]);
        }
    }

    private Log LogOf(string batchId)
    {
        if (!_logs.TryGetValue(batchId, out var log))
        {
            _logs[batchId] = log = new Log();
        }
        return log;
    }

    private sealed class Log
    {
        public List<string> Entries { get; } = [];
        public Dictionary<int, LineResult> Results { get; } = [];
        public Dictionary<int, string> Started { get; } = [];
    }
}
