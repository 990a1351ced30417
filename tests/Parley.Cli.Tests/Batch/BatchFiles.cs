using System.Text.Json;
using System.Text.Json.Nodes;

namespace Parley.Cli.Tests.Batch;

/// <summary>Batch input files whose every line asks about a unique marker, so the simulator's request log shows
/// which lines reached the upstream and how often.</summary>
public static class BatchFiles
{
    public static string Marker(int i) => $"marker-{i:D5}";

    public static string CustomId(int i) => $"line-{i:D5}";

    public static string Write(string directory, int count, Func<int, string>? model = null)
    {
        var path = Path.Combine(directory, "in.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, count).Select(i => new JsonObject
        {
            ["custom_id"] = CustomId(i),
            ["method"] = "POST",
            ["url"] = "/v1/chat/completions",
            ["body"] = new JsonObject
            {
                ["model"] = model?.Invoke(i) ?? Infrastructure.CliSilo.Model,
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = Marker(i) }),
            },
        }.ToJsonString()));
        return path;
    }

    /// <summary>The lines of a JSONL file, parsed (a missing file is empty).</summary>
    public static List<JsonElement> ReadLines(string path) => File.Exists(path)
        ? File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList()
        : [];

    public static int CountLines(string path)
    {
        if (!File.Exists(path))
        {
            return 0;
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var count = 0;
        int b;
        while ((b = stream.ReadByte()) >= 0)
        {
            if (b == '\n')
            {
                count++;
            }
        }
        return count;
    }
}
