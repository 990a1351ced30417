using k8s;
using k8s.Models;
using Parley.Deploy.Tests.Infrastructure;

namespace Parley.Deploy.Tests.Kubernetes;

/// <summary>The manifests as Kubernetes gets them: <c>kubectl kustomize k8s</c> (kubectl's built-in kustomize; offline),
/// rendered once per test run, written to a file for the schema validator, and loaded into the Kubernetes client's typed
/// models in strict mode, so a field Kubernetes does not know (a typo such as <c>livenesProbe</c>) fails the load.</summary>
public sealed class RenderedManifests
{
    private static readonly Lazy<Task<RenderedManifests>> Instance = new(RenderAsync);

    private RenderedManifests(string yaml, string file, IReadOnlyList<object> objects)
    {
        Yaml = yaml;
        File = file;
        Objects = objects;
    }

    public string Yaml { get; }

    /// <summary>The rendered YAML on disk, beside the test assembly (rewritten by every run).</summary>
    public string File { get; }

    public IReadOnlyList<object> Objects { get; }

    public static Task<RenderedManifests> GetAsync() => Instance.Value;

    public static async Task<ToolResult> KustomizeAsync(string directory)
    {
        var kubectl = ExternalTool.Find("kubectl", "install kubectl (Debian's kubernetes-client)");
        return await ExternalTool.RunAsync(kubectl, ["kustomize", directory]);
    }

    /// <summary>Typed objects, refusing unknown fields anywhere in them.</summary>
    public static IReadOnlyList<object> LoadStrict(string yaml) => KubernetesYaml.LoadAllFromString(yaml, strict: true);

    public T Get<T>(string name)
        where T : IMetadata<V1ObjectMeta>
        => Assert.Single(Objects.OfType<T>(), o => o.Metadata.Name == name);

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    public static V1Container OnlyContainer(V1Deployment deployment) => Assert.Single(deployment.Spec.Template.Spec.Containers);

    private static async Task<RenderedManifests> RenderAsync()
    {
        var result = await KustomizeAsync(Repository.PathOf("k8s"));
        Assert.True(result.ExitCode == 0, $"kubectl kustomize k8s (exit {result.ExitCode}):\n{result.Output}");
        var file = Path.Combine(AppContext.BaseDirectory, "rendered-k8s.yaml");
        await System.IO.File.WriteAllTextAsync(file, result.StandardOutput);
        return new RenderedManifests(result.StandardOutput, file, LoadStrict(result.StandardOutput));
    }
}
