using System.Text;
using System.Text.Json.Nodes;

namespace Parley.Silo.Tests.Hostile;

/// <summary>One hostile request body: a name saying what it tries, the exact bytes, and the Content-Type (null: none).</summary>
public sealed record HostileBody(string Name, byte[] Bytes, string? ContentType = "application/json");

/// <summary>Generates hostile variants of a JSON body: every string value and every property name of the seed replaced
/// by invalid UTF-8 or a lone surrogate, numbers out of every range, nodes of the wrong type, duplicate keys; and
/// bodies that are hostile whole (deep nesting, empty, truncated, not an object, wrong content types).</summary>
public static class HostileVariants
{
    // Raw byte sequences that are not UTF-8: a lone continuation byte, a truncated sequence, an overlong encoding, an
    // encoded surrogate (CESU), a byte never valid.
    private static readonly (string Name, byte[] Bytes)[] InvalidUtf8 =
    [
        ("0xFF", [0xFF]),
        ("truncated-2-byte", [0xC3, 0x28]),
        ("overlong-slash", [0xC0, 0xAF]),
        ("encoded-surrogate", [0xED, 0xA0, 0x80]),
        ("lone-continuation", [0x80]),
    ];

    // JSON string escapes that unescape to invalid UTF-16, and merely awkward strings.
    private static readonly (string Name, string Json)[] HostileStrings =
    [
        ("lone-high-surrogate", "\"\\ud800\""),
        ("lone-low-surrogate", "\"x\\udc00y\""),
        ("reversed-surrogates", "\"\\udc00\\ud800\""),
        ("nul-and-controls", "\"a\\u0000b\\u001f\""),
        ("crlf", "\"a\\r\\nX-Injected: 1\""),
        ("long-100k", "\"" + new string('a', 100_000) + "\""),
        ("empty", "\"\""),
    ];

    private static readonly string[] HostileNumbers =
    [
        "2147483647", "2147483648", "4294967296", "9223372036854775807", "9223372036854775808", "-1", "-2147483649", "0", "1.5",
        "1e400", "-1e400", "1e-400", "123456789012345678901234567890",
    ];

    // Not JSON, but what a careless client sends.
    private static readonly string[] InvalidNumberTokens = ["NaN", "Infinity", "-Infinity", "0x10", "01"];

    /// <param name="thorough">Every hostile value at every place of the seed; else a few of each class (for routes
    /// without a seed of their own, which mostly read no body).</param>
    public static IEnumerable<HostileBody> For(string seedJson, bool thorough = true)
    {
        var seed = JsonNode.Parse(seedJson)!;
        foreach (var body in WholeBodies(seedJson))
        {
            yield return body;
        }
        var leaves = new List<(string Path, JsonNode? Node)>();
        Walk(seed, "$", leaves);
        foreach (var (path, node) in leaves)
        {
            var kind = node?.GetValueKind();
            var strings = thorough ? HostileStrings : HostileStrings[..1];
            var invalidUtf8 = thorough ? InvalidUtf8 : InvalidUtf8[..1];
            var numbers = thorough ? HostileNumbers : ["2147483648", "1e400"];
            var tokens = thorough ? InvalidNumberTokens : InvalidNumberTokens[..1];
            var others = thorough ? ["null", "true", "[]", "{}", "[{}]", "[[1]]", "{\"a\":{}}"] : new[] { "[]", "{}" };
            foreach (var (name, json) in strings)
            {
                yield return Replace(seed, path, $"{path}={name}", Encoding.UTF8.GetBytes(json));
            }
            foreach (var (name, bytes) in invalidUtf8)
            {
                yield return Replace(seed, path, $"{path}=utf8:{name}", [(byte)'"', (byte)'a', .. bytes, (byte)'"']);
            }
            foreach (var number in numbers)
            {
                yield return Replace(seed, path, $"{path}={number}", Encoding.UTF8.GetBytes(number));
            }
            foreach (var token in tokens)
            {
                yield return Replace(seed, path, $"{path}={token}", Encoding.UTF8.GetBytes(token));
            }
            foreach (var other in others)
            {
                if (kind is not System.Text.Json.JsonValueKind.Array || other != "[]")
                {
                    yield return Replace(seed, path, $"{path}={other}", Encoding.UTF8.GetBytes(other));
                }
            }
        }
        // Property names: hostile ones added, each existing one made hostile or duplicated.
        foreach (var (path, objectNode) in Objects(seed, "$"))
        {
            foreach (var (name, json) in HostileStrings.Take(thorough ? 4 : 1))
            {
                yield return AddProperty(seed, path, $"{path}.name={name}", Encoding.UTF8.GetBytes(json));
            }
            foreach (var (name, bytes) in InvalidUtf8.Take(thorough ? InvalidUtf8.Length : 1))
            {
                yield return AddProperty(seed, path, $"{path}.name=utf8:{name}", [(byte)'"', .. bytes, (byte)'"']);
            }
            foreach (var property in objectNode.Select(p => p.Key).ToList())
            {
                var value = objectNode[property]?.ToJsonString() ?? "null";
                yield return AddProperty(seed, path, $"{path}.{property}=duplicate", Encoding.UTF8.GetBytes(JsonEncode(property)), value);
            }
        }
    }

    /// <summary>Bodies hostile as a whole, whatever the route.</summary>
    public static IEnumerable<HostileBody> WholeBodies(string seedJson)
    {
        var seed = Encoding.UTF8.GetBytes(seedJson);
        yield return new("empty", []);
        yield return new("whitespace", " \r\n\t "u8.ToArray());
        yield return new("null", "null"u8.ToArray());
        yield return new("array-of-seed", [(byte)'[', .. seed, (byte)']']);
        yield return new("string", "\"x\""u8.ToArray());
        yield return new("number-1e400", "1e400"u8.ToArray());
        yield return new("NaN", "NaN"u8.ToArray());
        yield return new("truncated", seed[..(seed.Length / 2)]);
        yield return new("trailing-garbage", [.. seed, .. "}garbage"u8]);
        yield return new("two-values", [.. seed, .. seed]);
        yield return new("bom-prefixed", [0xEF, 0xBB, 0xBF, .. seed]);
        yield return new("utf16-body", Encoding.Unicode.GetBytes(seedJson));
        yield return new("utf8-0xFF-outside-strings", [.. seed[..^1], (byte)' ', 0xFF, (byte)'}']);
        yield return new("deep-arrays-10000", Encoding.ASCII.GetBytes(new string('[', 10_000) + new string(']', 10_000)));
        yield return new("deep-objects-10000", Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_000)));
        yield return new("deep-unclosed-100000", Encoding.ASCII.GetBytes(new string('[', 100_000)));
        yield return new("comment", [.. "/* c */"u8, .. seed]);
        yield return new("seed-no-content-type", seed, null);
        yield return new("seed-text-plain", seed, "text/plain");
        yield return new("seed-form", seed, "application/x-www-form-urlencoded");
        yield return new("form-body", "a=%FF&b=%ED%A0%80&name=x"u8.ToArray(), "application/x-www-form-urlencoded");
        yield return new("multipart-garbage", "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\xFF\r\n--b"u8.ToArray(), "multipart/form-data; boundary=b");
        yield return new("multipart-no-boundary", seed, "multipart/form-data");
        yield return new("seed-utf16-charset", Encoding.Unicode.GetBytes(seedJson), "application/json; charset=utf-16");
        yield return new("seed-bogus-charset", seed, "application/json; charset=bogus-8");
        yield return new("seed-invalid-media-type", seed, "application/json;;;=");
        yield return new("seed-xml", seed, "application/xml");
    }

    private static void Walk(JsonNode? node, string path, List<(string, JsonNode?)> leaves)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o)
                {
                    leaves.Add(($"{path}.{key}", child));
                    Walk(child, $"{path}.{key}", leaves);
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    leaves.Add(($"{path}[{i}]", a[i]));
                    Walk(a[i], $"{path}[{i}]", leaves);
                }
                break;
        }
    }

    private static IEnumerable<(string Path, JsonObject Node)> Objects(JsonNode? node, string path)
    {
        if (node is JsonObject o)
        {
            yield return (path, o);
            foreach (var (key, child) in o)
            {
                foreach (var inner in Objects(child, $"{path}.{key}"))
                {
                    yield return inner;
                }
            }
        }
        else if (node is JsonArray a)
        {
            for (var i = 0; i < a.Count; i++)
            {
                foreach (var inner in Objects(a[i], $"{path}[{i}]"))
                {
                    yield return inner;
                }
            }
        }
    }

    // A placeholder string is put where the raw bytes go, the tree serialized, and the placeholder swapped for them:
    // the bytes need not be valid JSON text or valid UTF-8.
    private const string Marker = "\u2603HOSTILE\u2603";

    private static HostileBody Replace(JsonNode seed, string path, string name, byte[] raw)
    {
        var copy = seed.DeepClone();
        var (parent, key, index) = Locate(copy, path);
        if (parent is JsonObject o)
        {
            o[key!] = Marker;
        }
        else
        {
            ((JsonArray)parent)[index] = Marker;
        }
        return new(name, Splice(copy.ToJsonString(), JsonEncode(Marker), raw));
    }

    private static HostileBody AddProperty(JsonNode seed, string path, string name, byte[] rawName, string valueJson = "1")
    {
        var copy = seed.DeepClone();
        var target = path == "$" ? copy : Locate(copy, path) switch
        {
            (JsonObject o, { } key, _) => o[key]!,
            (JsonArray a, _, var i) => a[i]!,
            _ => throw new InvalidOperationException(path),
        };
        ((JsonObject)target)[Marker] = JsonNode.Parse(valueJson);
        return new(name, Splice(copy.ToJsonString(), JsonEncode(Marker), rawName));
    }

    private static (JsonNode Parent, string? Key, int Index) Locate(JsonNode root, string path)
    {
        // Paths are built by Walk: $.key, $.key[0].other ...; keys in seeds hold no '.' or '['.
        var steps = new List<object>();
        var i = 1;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                steps.Add(path[(i + 1)..end]);
                i = end;
            }
            else
            {
                var end = path.IndexOf(']', i);
                steps.Add(int.Parse(path[(i + 1)..end], System.Globalization.CultureInfo.InvariantCulture));
                i = end + 1;
            }
        }
        var node = root;
        for (var s = 0; s < steps.Count - 1; s++)
        {
            node = steps[s] is string k ? node[k]! : node[(int)steps[s]]!;
        }
        return steps[^1] is string key ? (node, key, -1) : (node, null, (int)steps[^1]);
    }

    private static string JsonEncode(string value) => System.Text.Json.JsonSerializer.Serialize(value);

    private static byte[] Splice(string json, string placeholder, byte[] raw)
    {
        var at = json.IndexOf(placeholder, StringComparison.Ordinal);
        var before = Encoding.UTF8.GetBytes(json[..at]);
        var after = Encoding.UTF8.GetBytes(json[(at + placeholder.Length)..]);
        return [.. before, .. raw, .. after];
    }
}
