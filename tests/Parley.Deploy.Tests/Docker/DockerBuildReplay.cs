using System.Text.RegularExpressions;
using Parley.Deploy.Tests.Infrastructure;

namespace Parley.Deploy.Tests.Docker;

/// <summary>Replays a Dockerfile's build stage without Docker (no engine runs on the project's machines): a temporary
/// folder stands for the container's file system, WORKDIR and COPY act on it as Docker's would (from the build context,
/// minus what the .dockerignore excludes), and each <c>RUN dotnet ...</c> runs the same command there, its absolute
/// paths mapped into the folder. Any other instruction fails the replay, so it never passes a stage it did not run.</summary>
public sealed partial class DockerBuildReplay : IDisposable
{
    private readonly List<Regex> _ignored;
    private readonly string _context;

    private DockerBuildReplay(string context, List<Regex> ignored)
    {
        _context = context;
        _ignored = ignored;
        Root = Path.Combine(Path.GetTempPath(), $"parley-docker-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Root);
    }

    /// <summary>The folder standing for the stage's "/".</summary>
    public string Root { get; }

    public List<string> Commands { get; } = [];

    /// <summary>Where a path of the container's file system is in <see cref="Root"/>.</summary>
    public string HostPath(string containerPath) => Path.Combine(Root, containerPath.TrimStart('/'));

    public static async Task<DockerBuildReplay> RunAsync(Dockerfile dockerfile, string stageName, string context, TimeSpan timeout)
    {
        var replay = new DockerBuildReplay(context, IgnorePatterns(dockerfile.Path, context));
        try
        {
            await replay.RunStageAsync(dockerfile.Stage(stageName), timeout);
            return replay;
        }
        catch
        {
            replay.Dispose();
            throw;
        }
    }

    public bool IsIgnored(string relativePath)
    {
        var parts = relativePath.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 1; i <= parts.Length; i++)
        {
            var prefix = string.Join('/', parts.Take(i));
            if (_ignored.Any(r => r.IsMatch(prefix)))
            {
                return true;
            }
        }
        return false;
    }

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    private async Task RunStageAsync(DockerStage stage, TimeSpan timeout)
    {
        var workdir = "/";
        var dotnet = ExternalTool.Find("dotnet", "install the .NET SDK");
        foreach (var instruction in stage.Instructions)
        {
            var where = $"line {instruction.Line}: {instruction.Keyword} {instruction.Arguments}";
            switch (instruction.Keyword)
            {
                case "WORKDIR":
                    workdir = Combine(workdir, instruction.Arguments);
                    Directory.CreateDirectory(HostPath(workdir));
                    break;
                case "COPY":
                    Copy(instruction.Words, workdir, where);
                    break;
                case "RUN":
                    var words = instruction.Words;
                    Assert.True(words.Count > 1 && words[0] == "dotnet", $"{where}: the replay runs only `dotnet` commands");
                    // Absolute paths move into the folder; MSBuild's /switch:value spellings stay as they are.
                    var arguments = words.Skip(1).Select(w => w.StartsWith('/') && !MsBuildSwitch().IsMatch(w) ? HostPath(w) : w).ToList();
                    Commands.Add(string.Join(' ', words));
                    var result = await ExternalTool.RunAsync(dotnet, arguments, HostPath(workdir), timeout, new Dictionary<string, string>
                    {
                        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                        ["DOTNET_NOLOGO"] = "1",
                        // No MSBuild worker nodes left running after the test.
                        ["MSBUILDDISABLENODEREUSE"] = "1",
                    });
                    Assert.True(result.ExitCode == 0, $"{where} failed (exit {result.ExitCode}):\n{result.Output}");
                    break;
                default:
                    Assert.Fail($"{where}: the replay does not know this instruction");
                    break;
            }
        }
    }

    private void Copy(IReadOnlyList<string> words, string workdir, string where)
    {
        Assert.True(words.Count >= 2 && !words.Any(w => w.StartsWith("--", StringComparison.Ordinal)), $"{where}: the replay copies from the build context only");
        var destination = Combine(workdir, words[^1]);
        var intoDirectory = words[^1].EndsWith('/') || words[^1] == "." || words.Count > 2;
        foreach (var source in words.Take(words.Count - 1))
        {
            var relative = source.TrimEnd('/');
            var full = Path.GetFullPath(Path.Combine(_context, relative));
            Assert.True(full.StartsWith(_context, StringComparison.Ordinal), $"{where}: {source} is outside the build context");
            if (Directory.Exists(full) && !IsIgnored(relative))
            {
                // Docker copies a directory's contents, not the directory itself.
                CopyDirectory(full, relative, HostPath(destination));
            }
            else if (File.Exists(full) && !IsIgnored(relative))
            {
                var target = intoDirectory ? Path.Combine(HostPath(destination), Path.GetFileName(full)) : HostPath(destination);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(full, target, overwrite: true);
            }
            else
            {
                Assert.Fail($"{where}: {source} is not in the build context (missing, or excluded by the .dockerignore)");
            }
        }
    }

    private void CopyDirectory(string source, string relative, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            if (!IsIgnored($"{relative}/{Path.GetFileName(file)}"))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
            }
        }
        foreach (var directory in Directory.EnumerateDirectories(source))
        {
            var name = Path.GetFileName(directory);
            if (!IsIgnored($"{relative}/{name}"))
            {
                CopyDirectory(directory, $"{relative}/{name}", Path.Combine(target, name));
            }
        }
    }

    [GeneratedRegex("^/[A-Za-z]+:")]
    private static partial Regex MsBuildSwitch();

    private static string Combine(string workdir, string path)
        => path.StartsWith('/') ? path : "/" + Path.Combine(workdir, path).TrimStart('/');

    /// <summary>The Dockerfile's own <c>Dockerfile.dockerignore</c> (BuildKit reads it before the context's), else the
    /// context's <c>.dockerignore</c>. Patterns as Docker reads them: <c>**</c> any path, <c>*</c> and <c>?</c> within a name.</summary>
    private static List<Regex> IgnorePatterns(string dockerfilePath, string context)
    {
        var file = new[] { dockerfilePath + ".dockerignore", Path.Combine(context, ".dockerignore") }.FirstOrDefault(File.Exists);
        if (file is null)
        {
            return [];
        }
        var patterns = new List<Regex>();
        foreach (var line in File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            Assert.False(line.StartsWith('!'), $"{file}: exceptions (!) are not replayed");
            var pattern = line.Trim('/');
            var regex = Regex.Escape(pattern)
                .Replace(@"\*\*/", "(.*/)?", StringComparison.Ordinal)
                .Replace(@"\*\*", ".*", StringComparison.Ordinal)
                .Replace(@"\*", "[^/]*", StringComparison.Ordinal)
                .Replace(@"\?", "[^/]", StringComparison.Ordinal);
            patterns.Add(new Regex($"^{regex}$", RegexOptions.CultureInvariant));
        }
        return patterns;
    }
}
