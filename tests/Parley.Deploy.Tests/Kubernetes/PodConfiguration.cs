using System.Text;
using k8s.Models;
using Microsoft.Extensions.Configuration;

namespace Parley.Deploy.Tests.Kubernetes;

/// <summary>The configuration a container of a Deployment starts with, as ASP.NET Core would assemble it from the
/// manifests: the appsettings.Production.json a ConfigMap mounts, then the ConfigMaps' environment variables, then the
/// container's own literal <c>env</c> values ("__" read as ":"). Secrets are left out: they hold placeholders.</summary>
public static class PodConfiguration
{
    public static IConfiguration Of(RenderedManifests manifests, V1Deployment deployment)
    {
        var pod = deployment.Spec.Template.Spec;
        var container = RenderedManifests.OnlyContainer(deployment);
        var builder = new ConfigurationBuilder();
        foreach (var mount in container.VolumeMounts ?? [])
        {
            var volume = Assert.Single(pod.Volumes, v => v.Name == mount.Name);
            if (volume.ConfigMap is not null && mount.SubPath is { Length: > 0 } key && key.EndsWith(".json", StringComparison.Ordinal))
            {
                var data = manifests.Get<V1ConfigMap>(volume.ConfigMap.Name).Data;
                Assert.True(data.ContainsKey(key), $"ConfigMap {volume.ConfigMap.Name} has no {key} for {deployment.Metadata.Name}'s mount {mount.MountPath}");
                builder.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(data[key])));
            }
        }
        var variables = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var source in container.EnvFrom ?? [])
        {
            if (source.ConfigMapRef is { } reference)
            {
                foreach (var (name, value) in manifests.Get<V1ConfigMap>(reference.Name).Data)
                {
                    variables[name.Replace("__", ":", StringComparison.Ordinal)] = value;
                }
            }
        }
        foreach (var variable in (container.Env ?? []).Where(e => e.Value is not null))
        {
            variables[variable.Name.Replace("__", ":", StringComparison.Ordinal)] = variable.Value;
        }
        builder.AddInMemoryCollection(variables);
        return builder.Build();
    }
}
