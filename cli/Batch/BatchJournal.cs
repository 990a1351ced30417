using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parley.Cli.Hosting;

namespace Parley.Cli.Batch;

/// <summary>The journal beside the output (<c>OUT.jsonl.journal</c>): which input it belongs to, every line sent,
/// and every line finished (its result already written to the output or error file). A rerun of the same command
/// reads it and sends only the lines not finished; lines that were sent but not finished when a run was killed are
/// the only ones that can reach the server twice, and the rerun says how many there were. Each record is flushed
/// to the operating system as it is written, so a killed process loses none.</summary>
public sealed class BatchJournal : IDisposable
{
    public const string Suffix = ".journal";
    private readonly StreamWriter _writer;
    private readonly Lock _lock = new();

    private BatchJournal(string path, StreamWriter writer, HashSet<string> done, HashSet<string> failed, HashSet<string> inFlight, bool resumed)
    {
        Path = path;
        _writer = writer;
        Done = done;
        Failed = failed;
        UnfinishedSends = inFlight;
        Resumed = resumed;
    }

    public string Path { get; }

    /// <summary>Lines answered (in the output file).</summary>
    public HashSet<string> Done { get; }

    /// <summary>Lines that failed for good (in the error file).</summary>
    public HashSet<string> Failed { get; }

    /// <summary>Lines a previous run sent without recording a result (it was killed while they were in flight).</summary>
    public HashSet<string> UnfinishedSends { get; }

    public bool Resumed { get; }

    public static string PathFor(string outputPath) => outputPath + Suffix;

    /// <summary>Opens (resuming) or creates the journal. A journal made for another input file is refused.</summary>
    public static BatchJournal Open(string outputPath, string inputPath, bool restart)
    {
        var path = PathFor(outputPath);
        var fingerprint = Fingerprint(inputPath);
        HashSet<string> done = new(StringComparer.Ordinal), failed = new(StringComparer.Ordinal), sent = new(StringComparer.Ordinal);
        var resumed = false;
        if (restart && File.Exists(path))
        {
            File.Delete(path);
        }
        if (File.Exists(path))
        {
            resumed = true;
            var first = true;
            foreach (var text in File.ReadLines(path))
            {
                JsonObject? record;
                try
                {
                    record = JsonNode.Parse(text) as JsonObject;
                }
                catch (JsonException)
                {
                    // The last record of a killed run may be cut short; it was never acted on.
                    continue;
                }
                var type = record?["type"]?.GetValue<string>();
                if (first)
                {
                    first = false;
                    if (type != "header" || record!["input_sha256"]?.GetValue<string>() != fingerprint)
                    {
                        throw CliException.Usage($"{path} was written for another input file; pass a new -o, or --restart to start over.");
                    }
                    continue;
                }
                var id = record?["custom_id"]?.GetValue<string>();
                if (id is null)
                {
                    continue;
                }
                switch (type)
                {
                    case "sent":
                        sent.Add(id);
                        break;
                    case "done":
                        done.Add(id);
                        failed.Remove(id);
                        break;
                    case "failed":
                        failed.Add(id);
                        break;
                }
            }
        }
        sent.ExceptWith(done);
        sent.ExceptWith(failed);
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false));
        var journal = new BatchJournal(path, writer, done, failed, sent, resumed);
        if (!resumed)
        {
            journal.Append(new JsonObject
            {
                ["type"] = "header", ["input"] = System.IO.Path.GetFullPath(inputPath), ["input_sha256"] = fingerprint,
                ["created_at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            });
        }
        return journal;
    }

    public void Sent(string customId) => Append(new JsonObject { ["type"] = "sent", ["custom_id"] = customId });

    public void Finished(string customId, bool succeeded) => Append(new JsonObject { ["type"] = succeeded ? "done" : "failed", ["custom_id"] = customId });

    private void Append(JsonObject record)
    {
        lock (_lock)
        {
            _writer.WriteLine(record.ToJsonString());
            _writer.Flush();
        }
    }

    private static string Fingerprint(string inputPath)
    {
        using var stream = File.OpenRead(inputPath);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public void Dispose() => _writer.Dispose();
}
