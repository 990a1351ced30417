using System.Text.Json;

namespace Parley.Tokenizer.Tests;

/// <summary>The reference vectors and encoding definitions produced by tiktoken (copied from shared/data).</summary>
internal static class ReferenceData
{
    private static readonly Lazy<IReadOnlyList<Vector>> s_vectors = new(LoadVectors);

    public static IReadOnlyList<Vector> Vectors => s_vectors.Value;

    public static string DataPath(string file) => Path.Combine(AppContext.BaseDirectory, "Data", file);

    public static (string Pattern, Dictionary<string, int> Specials) Meta(string encoding)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(DataPath(encoding + ".meta.json")));
        var root = document.RootElement;
        var specials = root.GetProperty("special_tokens").EnumerateObject()
            .ToDictionary(property => property.Name, property => property.Value.GetInt32());
        return (root.GetProperty("pat_str").GetString()!, specials);
    }

    private static IReadOnlyList<Vector> LoadVectors()
    {
        var vectors = new List<Vector>();
        foreach (var line in File.ReadLines(DataPath("vectors.jsonl")))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            vectors.Add(new Vector(
                vectors.Count,
                root.GetProperty("text").GetString()!,
                Ids(root, TiktokenEncoding.Cl100kBaseName),
                Ids(root, TiktokenEncoding.O200kBaseName)));
        }

        return vectors;
    }

    private static int[] Ids(JsonElement root, string encoding) =>
        root.GetProperty(encoding).EnumerateArray().Select(element => element.GetInt32()).ToArray();

    internal sealed record Vector(int Index, string Text, int[] Cl100kBase, int[] O200kBase)
    {
        public int[] For(string encoding) => encoding == TiktokenEncoding.Cl100kBaseName ? Cl100kBase : O200kBase;
    }
}
