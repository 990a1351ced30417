using k8s;
using k8s.Models;
using Parley.Deploy.Tests.Infrastructure;

namespace Parley.Deploy.Tests.Kubernetes;

/// <summary>k8s/ renders with kustomize and every object passes the schemas of a named Kubernetes version, offline.</summary>
public sealed class ManifestValidationTests
{
    [Fact]
    public async Task Kustomize_renders_every_object_into_the_parley_namespace()
    {
        var manifests = await RenderedManifests.GetAsync();
        var kinds = manifests.Objects.Cast<IKubernetesObject<V1ObjectMeta>>()
            .Select(o => $"{o.ApiVersion} {o.Kind} {o.Metadata.Name}")
            .Order(StringComparer.Ordinal);
        Assert.Equal(
        [
            "apps/v1 Deployment parley-client-api",
            "apps/v1 Deployment parley-silo",
            "apps/v1 StatefulSet redis",
            "autoscaling/v2 HorizontalPodAutoscaler parley-client-api",
            "autoscaling/v2 HorizontalPodAutoscaler parley-silo",
            "networking.k8s.io/v1 NetworkPolicy parley-client-api",
            "networking.k8s.io/v1 NetworkPolicy parley-default-deny-ingress",
            "networking.k8s.io/v1 NetworkPolicy parley-silo",
            "networking.k8s.io/v1 NetworkPolicy redis",
            "policy/v1 PodDisruptionBudget parley-client-api",
            "policy/v1 PodDisruptionBudget parley-silo",
            "rbac.authorization.k8s.io/v1 Role parley-silo",
            "rbac.authorization.k8s.io/v1 RoleBinding parley-silo",
            "v1 ConfigMap parley-cluster",
            "v1 ConfigMap parley-config",
            "v1 Namespace parley",
            "v1 Secret parley-encryption-keys",
            "v1 Secret parley-secrets",
            "v1 Service parley",
            "v1 Service parley-silo",
            "v1 Service redis",
            "v1 ServiceAccount parley-silo",
        ], kinds);
        foreach (var o in manifests.Objects.Cast<IKubernetesObject<V1ObjectMeta>>().Where(o => o.Kind != "Namespace"))
        {
            Assert.Equal("parley", o.Metadata.NamespaceProperty);
            Assert.Equal("parley", o.Metadata.Labels["app.kubernetes.io/part-of"]);
        }
    }

    [Fact]
    public async Task Every_object_passes_the_schemas_of_Kubernetes_1_36()
    {
        var manifests = await RenderedManifests.GetAsync();
        var report = await SchemaValidator.KubernetesAsync(manifests.File);
        Assert.Equal($"kubernetes-models (Kubernetes {SchemaValidator.KubernetesVersion})", report.Validator);
        Assert.Empty(report.Errors);
        Assert.Equal(0, report.ExitCode);
        Assert.Equal(manifests.Objects.Count, report.Objects);
    }

    /// <summary>The checks above can fail: a wrong type, a beta API Kubernetes removed, and a misspelt field each make
    /// one of them report the object.</summary>
    [Fact]
    public async Task The_validators_report_a_wrong_type_a_removed_api_and_an_unknown_field()
    {
        var manifests = await RenderedManifests.GetAsync();
        var broken = manifests.Yaml
            .Replace("replicas: 3", "replicas: three", StringComparison.Ordinal)
            .Replace("apiVersion: policy/v1", "apiVersion: policy/v1beta1", StringComparison.Ordinal);
        Assert.NotEqual(manifests.Yaml, broken);
        var file = Path.Combine(Path.GetTempPath(), $"parley-k8s-broken-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, broken);
        try
        {
            var report = await SchemaValidator.KubernetesAsync(file);
            Assert.Equal(1, report.ExitCode);
            Assert.Equal(
            [
                "apps/v1/Deployment parley-silo: data/spec/replicas must be integer",
                $"policy/v1beta1/PodDisruptionBudget parley-client-api: apiVersion must be a GA version (v1, group/v1, group/v2) served by Kubernetes {SchemaValidator.KubernetesVersion}",
                $"policy/v1beta1/PodDisruptionBudget parley-silo: apiVersion must be a GA version (v1, group/v1, group/v2) served by Kubernetes {SchemaValidator.KubernetesVersion}",
            ], report.Errors.Order(StringComparer.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }

        var misspelt = manifests.Yaml.Replace("livenessProbe:", "livenesProbe:", StringComparison.Ordinal);
        Assert.NotEqual(manifests.Yaml, misspelt);
        var error = Assert.ThrowsAny<Exception>(() => RenderedManifests.LoadStrict(misspelt));
        Assert.Contains("livenesProbe", error.ToString(), StringComparison.Ordinal);
    }
}
