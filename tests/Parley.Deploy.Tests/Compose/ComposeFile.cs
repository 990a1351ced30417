using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Parley.Deploy.Tests.Compose;

/// <summary>deploy/compose/compose.yaml read as Compose reads it (YAML merge keys resolved), as nested dictionaries.</summary>
public sealed class ComposeFile
{
    private ComposeFile(string path, IReadOnlyDictionary<string, object> root)
    {
        Path = path;
        Root = root;
    }

    public string Path { get; }

    public string Directory => System.IO.Path.GetDirectoryName(Path)!;

    public IReadOnlyDictionary<string, object> Root { get; }

    public IReadOnlyDictionary<string, object> Services => Map(Root["services"]);

    public IReadOnlyDictionary<string, object> Service(string name) => Map(Services[name]);

    public static ComposeFile Load(string path)
    {
        using var reader = new StringReader(File.ReadAllText(path));
        var root = new DeserializerBuilder().Build().Deserialize<object>(new MergingParser(new Parser(reader)));
        return new ComposeFile(path, Map(root!));
    }

    public static IReadOnlyDictionary<string, object> Map(object node)
        => ((IDictionary<object, object>)node).ToDictionary(e => (string)e.Key, e => e.Value ?? "", StringComparer.Ordinal);

    public static IReadOnlyList<object> List(object node) => [.. (IList<object>)node];

    /// <summary>A Compose duration (60s, 1m30s) as a TimeSpan.</summary>
    public static TimeSpan Duration(string value)
    {
        var total = TimeSpan.Zero;
        foreach (System.Text.RegularExpressions.Match part in System.Text.RegularExpressions.Regex.Matches(value, @"(\d+)(ms|s|m|h)"))
        {
            var amount = int.Parse(part.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            total += part.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(amount),
                "s" => TimeSpan.FromSeconds(amount),
                "m" => TimeSpan.FromMinutes(amount),
                _ => TimeSpan.FromHours(amount),
            };
        }
        return total;
    }
}
