using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Parley.Silo.Audit;

/// <summary>The append-only file that holds sealed records the store has not taken: batches written while the store is
/// down (fsync'd per batch), and records that overflowed the full queue (fsync'd by the writer's next pass). One file
/// per silo, held with an exclusive lock while the silo lives; to replay, the file is rotated to a <c>.replay</c> file
/// and a fresh one started, so appends never race a replay. A spool left by a silo that died is adopted at start-up by
/// the next silo using the directory. Replays are exactly once because the store ignores a (silo, seq) it holds.</summary>
internal sealed class AuditSpool : IDisposable
{
    private const string SpoolPrefix = "spool-";
    private const string SpoolSuffix = ".jsonl";
    private const string ReplaySuffix = ".replay";

    // Writes (short) take _lock alone. An fsync holds _syncLock but not _lock, so a record spilled by a request while
    // the writer fsyncs a batch waits for no disk; closing or moving the file takes both (always _syncLock first).
    private readonly Lock _lock = new();
    private readonly Lock _syncLock = new();
    private readonly string _directory;
    private readonly string _name;
    private readonly ILogger _logger;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private Utf8JsonWriter? _writer;
    private SafeFileHandle? _file;
    private long _length;
    // Writes so far (under _lock), and how many of them an fsync has covered (under _syncLock).
    private long _writes;
    private long _syncedWrites;
    private long _currentBytes;
    private long _replayBytes;
    private int _rotations;

    public AuditSpool(string directory, string chain, ILogger logger)
    {
        _directory = Path.Combine(directory, "spool");
        System.IO.Directory.CreateDirectory(_directory);
        _name = SpoolPrefix + Safe(chain) + "-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + SpoolSuffix;
        _logger = logger;
        RecountReplays();
    }

    /// <summary>Bytes of records waiting: this silo's spool, and the files waiting for replay in its directory (which
    /// any silo sharing the directory may replay; recounted after each replay).</summary>
    public long PendingBytes => Interlocked.Read(ref _currentBytes) + Interlocked.Read(ref _replayBytes);

    public bool HasPending => PendingBytes > 0;

    /// <summary>Appends a batch and fsyncs it: once this returns, the batch survives a crash.</summary>
    public void AppendBatch(IReadOnlyList<AuditRecord> records)
    {
        lock (_syncLock)
        {
            lock (_lock)
            {
                _buffer.ResetWrittenCount();
                foreach (var record in records)
                {
                    AuditCodec.WriteLine(_buffer, record, ref _writer);
                }
                Write();
            }
            SyncHeld();
        }
    }

    /// <summary>Appends one record that overflowed the queue (written through to the OS, fsync'd by <see cref="Sync"/>).
    /// Never waits for an fsync.</summary>
    public void AppendOverflow(AuditRecord record)
    {
        lock (_lock)
        {
            _buffer.ResetWrittenCount();
            AuditCodec.WriteLine(_buffer, record, ref _writer);
            Write();
        }
    }

    /// <summary>fsyncs overflow records appended since the last sync.</summary>
    public void Sync()
    {
        lock (_syncLock)
        {
            SyncHeld();
        }
    }

    // Under _lock: the buffer to the end of the file (opened on first use).
    private void Write()
    {
        var file = _file ??= Open();
        RandomAccess.Write(file, _buffer.WrittenSpan, _length);
        _length += _buffer.WrittenCount;
        _writes++;
        Interlocked.Add(ref _currentBytes, _buffer.WrittenCount);
    }

    // Under _syncLock: fsyncs what was written so far, outside _lock, so appends go on meanwhile.
    private void SyncHeld()
    {
        SafeFileHandle file;
        long written;
        lock (_lock)
        {
            if (_file is null || _writes == _syncedWrites)
            {
                return;
            }
            file = _file;
            written = _writes;
        }
        RandomAccess.FlushToDisk(file);
        _syncedWrites = written;
    }

    /// <summary>Claims spools of silos that are gone (their file is no longer locked), so their records replay here.</summary>
    public void AdoptOrphans()
    {
        foreach (var path in System.IO.Directory.EnumerateFiles(_directory, SpoolPrefix + "*" + SpoolSuffix))
        {
            if (Path.GetFileName(path) == _name)
            {
                continue;
            }
            try
            {
                long length;
                using (var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                {
                    length = probe.Length;
                }
                File.Move(path, ReplayPath());
                Interlocked.Add(ref _replayBytes, length);
                AuditLog.SpoolAdopted(_logger, Path.GetFileName(path), length);
            }
            catch (IOException)
            {
                // Held by a live silo, or claimed by another one first.
            }
        }
    }

    /// <summary>Writes every spooled record to the store in order, oldest file first, in chunks of
    /// <paramref name="batchSize"/>; a file is deleted once all of it was written. Throws what the store threw (the
    /// rest stays spooled; records already written are ignored when replayed again).</summary>
    public async Task ReplayAsync(Func<IReadOnlyList<AuditRecord>, CancellationToken, Task> write, int batchSize, CancellationToken cancellationToken)
    {
        Rotate();
        var files = System.IO.Directory.GetFiles(_directory, "*" + ReplaySuffix);
        Array.Sort(files, StringComparer.Ordinal);
        foreach (var path in files)
        {
            FileStream stream;
            try
            {
                stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                continue; // Another silo on this directory is replaying it.
            }
            await using (stream.ConfigureAwait(false))
            {
                var batch = new List<AuditRecord>(batchSize);
                using var reader = new StreamReader(stream, leaveOpen: true);
                while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
                {
                    if (line.Length == 0)
                    {
                        continue;
                    }
                    AuditRecord record;
                    try
                    {
                        record = AuditCodec.Parse(System.Text.Encoding.UTF8.GetBytes(line));
                    }
                    catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
                    {
                        // Only a crash mid-append leaves a torn line, and only as the last one: its request's record
                        // never reached disk whole.
                        AuditLog.SpoolLineSkipped(_logger, Path.GetFileName(path));
                        continue;
                    }
                    batch.Add(record);
                    if (batch.Count == batchSize)
                    {
                        await write(batch, cancellationToken).ConfigureAwait(false);
                        batch = new List<AuditRecord>(batchSize);
                    }
                }
                if (batch.Count > 0)
                {
                    await write(batch, cancellationToken).ConfigureAwait(false);
                }
            }
            File.Delete(path);
        }
        RecountReplays();
    }

    private void RecountReplays()
    {
        long bytes = 0;
        foreach (var replay in System.IO.Directory.EnumerateFiles(_directory, "*" + ReplaySuffix))
        {
            try
            {
                bytes += new FileInfo(replay).Length;
            }
            catch (IOException)
            {
                // Replayed and deleted meanwhile.
            }
        }
        Interlocked.Exchange(ref _replayBytes, bytes);
    }

    /// <summary>Moves the current spool aside for replay and starts a fresh one.</summary>
    private void Rotate()
    {
        lock (_syncLock)
        {
            SyncHeld();
            lock (_lock)
            {
                if (_file is not { } file || _length == 0)
                {
                    return;
                }
                // Only records spilled during the fsync above are synced under the lock.
                if (_writes != _syncedWrites)
                {
                    RandomAccess.FlushToDisk(file);
                    _syncedWrites = _writes;
                }
                // Renamed while still held, so no other silo can adopt it half-way.
                File.Move(SpoolPath, ReplayPath());
                file.Dispose();
                _file = null;
                _length = 0;
                Interlocked.Add(ref _replayBytes, Interlocked.Exchange(ref _currentBytes, 0));
            }
        }
    }

    private string ReplayPath()
        => Path.Combine(_directory, string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow.Ticks:D19}-{Environment.ProcessId}-{Interlocked.Increment(ref _rotations):D6}{ReplaySuffix}"));

    private string SpoolPath => Path.Combine(_directory, _name);

    // Exclusive (FileShare.None takes an advisory lock on Unix): a live silo's spool is never adopted by another.
    private SafeFileHandle Open()
    {
        var file = File.OpenHandle(SpoolPath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None);
        _length = RandomAccess.GetLength(file);
        return file;
    }

    private static string Safe(string chain)
    {
        Span<char> safe = chain.Length <= 128 ? stackalloc char[chain.Length] : new char[chain.Length];
        for (var i = 0; i < chain.Length; i++)
        {
            var c = chain[i];
            safe[i] = char.IsAsciiLetterOrDigit(c) ? c : '_';
        }
        return new string(safe);
    }

    public void Dispose()
    {
        lock (_syncLock)
        {
            lock (_lock)
            {
                if (_file is { } file)
                {
                    RandomAccess.FlushToDisk(file);
                    file.Dispose();
                    _file = null;
                    if (_length == 0)
                    {
                        File.Delete(SpoolPath);
                    }
                }
                _writer?.Dispose();
            }
        }
    }
}
