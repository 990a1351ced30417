using System.Text;
using System.Text.Json;

namespace Parley.Deploy.Tests.Docker;

public sealed record DockerInstruction(string Keyword, string Arguments, int Line)
{
    /// <summary>The arguments as Docker splits them: a JSON array (exec form) or words separated by white space.</summary>
    public IReadOnlyList<string> Words => Arguments.StartsWith('[')
        ? JsonSerializer.Deserialize<string[]>(Arguments) ?? []
        : Arguments.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
}

public sealed record DockerStage(string Image, string? Name, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<DockerInstruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);
}

/// <summary>A Dockerfile read the way Docker reads one: comments, line continuations, stages (<c>FROM image AS name</c>).</summary>
public sealed class Dockerfile
{
    private Dockerfile(string path, IReadOnlyList<DockerStage> stages)
    {
        Path = path;
        Stages = stages;
    }

    public string Path { get; }

    public IReadOnlyList<DockerStage> Stages { get; }

    public DockerStage Final => Stages[^1];

    public DockerStage Stage(string name) => Assert.Single(Stages, s => s.Name == name);

    /// <summary>The ENTRYPOINT's exec form: <c>["dotnet", "X.dll", ...]</c>.</summary>
    public IReadOnlyList<string> Entrypoint => Assert.Single(Final.All("ENTRYPOINT")).Words;

    /// <summary>The port the ENTRYPOINT's <c>--urls</c> listens on.</summary>
    public int ListenPort
    {
        get
        {
            var words = Entrypoint;
            var urls = words[words.ToList().IndexOf("--urls") + 1];
            return new Uri(urls).Port;
        }
    }

    public static Dockerfile Load(string path)
    {
        var stages = new List<DockerStage>();
        List<DockerInstruction>? current = null;
        string? image = null, name = null;
        var logical = new StringBuilder();
        var start = 0;
        var lines = File.ReadAllLines(path);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (logical.Length == 0 && (line.Length == 0 || line.StartsWith('#')))
            {
                continue;
            }
            if (logical.Length == 0)
            {
                start = i + 1;
            }
            if (line.EndsWith('\\'))
            {
                logical.Append(line[..^1]).Append(' ');
                continue;
            }
            logical.Append(line);
            var text = logical.ToString().Trim();
            logical.Clear();
            var space = text.IndexOfAny([' ', '\t']);
            var keyword = text[..space].ToUpperInvariant();
            var arguments = text[(space + 1)..].Trim();
            if (keyword == "FROM")
            {
                if (current is not null)
                {
                    stages.Add(new DockerStage(image!, name, current));
                }
                var words = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                image = words[0];
                name = words.Length == 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null;
                current = [];
                continue;
            }
            Assert.True(current is not null, $"{path}:{start}: {keyword} before the first FROM");
            current.Add(new DockerInstruction(keyword, arguments, start));
        }
        if (current is not null)
        {
            stages.Add(new DockerStage(image!, name, current));
        }
        return new Dockerfile(path, stages);
    }
}
