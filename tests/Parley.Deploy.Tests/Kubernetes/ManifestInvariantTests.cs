using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Parley.ClientApi.Health;
using Parley.ClientApi.Hosting;
using Parley.Deploy.Tests.Docker;
using Parley.Deploy.Tests.Infrastructure;
using Parley.ServiceDefaults;
using Parley.Silo;
using Parley.Silo.Health;

namespace Parley.Deploy.Tests.Kubernetes;

/// <summary>What the rendered manifests must say for Parley to run, scale and stop well on Kubernetes, checked against
/// the hosts' own code and settings (health paths, stop budgets, ports) rather than restated numbers where possible.</summary>
public sealed class ManifestInvariantTests
{
    [Fact]
    public async Task A_stopping_silo_finishes_its_drain_within_the_termination_grace()
    {
        var manifests = await RenderedManifests.GetAsync();
        var silo = manifests.Get<V1Deployment>("parley-silo");
        var container = RenderedManifests.OnlyContainer(silo);
        var shutdown = PodConfiguration.Of(manifests, silo).GetSection(ShutdownOptions.SectionName).Get<ShutdownOptions>() ?? new ShutdownOptions();
        Assert.Equal(TimeSpan.FromSeconds(5), shutdown.DrainDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), shutdown.GracePeriod);
        Assert.Equal(TimeSpan.FromSeconds(50), shutdown.ShutdownTimeout);

        // preStop runs first and counts against the grace; then SIGTERM and the host's whole stop budget.
        var preStop = container.Lifecycle.PreStop.Sleep.Seconds;
        Assert.Equal(5, preStop);
        var grace = silo.Spec.Template.Spec.TerminationGracePeriodSeconds;
        Assert.True(grace > preStop + (long)shutdown.ShutdownTimeout.TotalSeconds,
            $"terminationGracePeriodSeconds {grace} must exceed preStop {preStop} s + the silo's stop budget {shutdown.ShutdownTimeout}");
        // The rollout replaces one silo at a time, never below the desired count.
        Assert.Equal("0", silo.Spec.Strategy.RollingUpdate.MaxUnavailable.Value);
    }

    [Fact]
    public async Task A_stopping_front_end_finishes_its_streams_within_the_termination_grace()
    {
        var manifests = await RenderedManifests.GetAsync();
        var frontEnd = manifests.Get<V1Deployment>("parley-client-api");
        var configuration = PodConfiguration.Of(manifests, frontEnd);
        // The front end's real host, built (not started) with the pod's configuration: its stop budget as the code sets it.
        await using var app = FrontEndApplication.Build(["--urls", "http://127.0.0.1:0"], builder => builder.Configuration.AddConfiguration(configuration));
        var shutdownTimeout = app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout;
        var preStop = RenderedManifests.OnlyContainer(frontEnd).Lifecycle.PreStop.Sleep.Seconds;
        var grace = frontEnd.Spec.Template.Spec.TerminationGracePeriodSeconds;
        Assert.Equal(5, preStop);
        Assert.True(grace > preStop + (long)shutdownTimeout.TotalSeconds,
            $"terminationGracePeriodSeconds {grace} must exceed preStop {preStop} s + the front end's shutdown timeout {shutdownTimeout}");
    }

    [Fact]
    public async Task The_probes_call_the_health_endpoints_the_hosts_map_on_the_port_their_image_listens_on()
    {
        var manifests = await RenderedManifests.GetAsync();
        var hosts = new (string Deployment, string Dockerfile, string Startup, string Ready, string Live)[]
        {
            ("parley-silo", "silo/Dockerfile", HealthExtensions.StartupPath, HealthExtensions.ReadyPath, HealthExtensions.LivePath),
            ("parley-client-api", "client-api/Dockerfile", FrontEndHealth.StartupPath, FrontEndHealth.ReadyPath, FrontEndHealth.LivePath),
        };
        foreach (var host in hosts)
        {
            var container = RenderedManifests.OnlyContainer(manifests.Get<V1Deployment>(host.Deployment));
            Assert.Equal(host.Startup, container.StartupProbe.HttpGet.Path);
            Assert.Equal(host.Ready, container.ReadinessProbe.HttpGet.Path);
            Assert.Equal(host.Live, container.LivenessProbe.HttpGet.Path);
            var listenPort = Dockerfile.Load(Repository.PathOf(host.Dockerfile)).ListenPort;
            foreach (var probe in new[] { container.StartupProbe, container.ReadinessProbe, container.LivenessProbe })
            {
                Assert.Equal("http", probe.HttpGet.Port.Value);
                Assert.Equal(listenPort, Assert.Single(container.Ports, p => p.Name == "http").ContainerPort);
            }
            // The management port (/metrics) as the hosts default it.
            Assert.Equal(MetricsEndpointOptions.DefaultPort, Assert.Single(container.Ports, p => p.Name == "metrics").ContainerPort);
        }
    }

    [Fact]
    public async Task The_silo_autoscaler_keeps_2_to_10_silos_at_70_percent_cpu_and_scales_in_slowly()
    {
        var manifests = await RenderedManifests.GetAsync();
        var hpa = manifests.Get<V2HorizontalPodAutoscaler>("parley-silo");
        Assert.Equal("autoscaling/v2", hpa.ApiVersion);
        Assert.Equal(("apps/v1", "Deployment", "parley-silo"), (hpa.Spec.ScaleTargetRef.ApiVersion, hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name));
        var silo = manifests.Get<V1Deployment>(hpa.Spec.ScaleTargetRef.Name);
        Assert.Equal(2, hpa.Spec.MinReplicas);
        Assert.Equal(10, hpa.Spec.MaxReplicas);
        Assert.InRange(silo.Spec.Replicas!.Value, hpa.Spec.MinReplicas!.Value, hpa.Spec.MaxReplicas);
        var metric = Assert.Single(hpa.Spec.Metrics);
        Assert.Equal(("Resource", "cpu", "Utilization", 70), (metric.Type, metric.Resource.Name, metric.Resource.Target.Type, metric.Resource.Target.AverageUtilization));
        // Utilization is relative to the request: without one the HPA cannot compute it.
        Assert.True(RenderedManifests.OnlyContainer(silo).Resources.Requests.ContainsKey("cpu"));

        var scaleDown = hpa.Spec.Behavior.ScaleDown;
        Assert.Equal(300, scaleDown.StabilizationWindowSeconds);
        var policy = Assert.Single(scaleDown.Policies);
        Assert.Equal(("Pods", 1), (policy.Type, policy.Value));
        // One silo at a time: the next leaves only once the last has had its whole termination grace.
        Assert.True(policy.PeriodSeconds >= silo.Spec.Template.Spec.TerminationGracePeriodSeconds,
            $"scale-in period {policy.PeriodSeconds} s is shorter than a silo's termination grace");
    }

    [Fact]
    public async Task The_front_end_forwards_over_http2_to_the_port_every_silo_serves_it_on()
    {
        var manifests = await RenderedManifests.GetAsync();
        var silo = manifests.Get<V1Deployment>("parley-silo");
        var frontEnd = manifests.Get<V1Deployment>("parley-client-api");
        var cluster = PodConfiguration.Of(manifests, silo).GetSection(SiloClusterOptions.SectionName).Get<SiloClusterOptions>() ?? new SiloClusterOptions();
        var forwarding = PodConfiguration.Of(manifests, frontEnd).GetSection(FrontEndOptions.SectionName).Get<FrontEndOptions>() ?? new FrontEndOptions();

        Assert.Equal(8082, cluster.FrontEndHttp2Port);
        Assert.Equal(cluster.FrontEndHttp2Port, Assert.Single(RenderedManifests.OnlyContainer(silo).Ports, p => p.Name == "frontend-h2").ContainerPort);
        Assert.Equal(cluster.FrontEndHttp2Port, forwarding.SiloHttpPort);
        Assert.Equal(SiloProtocol.Http2, forwarding.SiloProtocol);
        // That the network policy lets the front ends in on that port: NetworkPolicyTests.
    }

    [Fact]
    public async Task Disruption_budgets_services_and_autoscalers_select_pods_that_exist()
    {
        var manifests = await RenderedManifests.GetAsync();
        var templates = manifests.All<V1Deployment>().Select(d => (d.Metadata.Name, d.Spec.Template))
            .Concat(manifests.All<V1StatefulSet>().Select(s => (s.Metadata.Name, s.Spec.Template)))
            .ToList();
        foreach (var deployment in manifests.All<V1Deployment>())
        {
            Assert.True(Matches(deployment.Spec.Selector.MatchLabels, deployment.Spec.Template.Metadata.Labels));
        }

        var siloBudget = manifests.Get<V1PodDisruptionBudget>("parley-silo");
        Assert.Equal("1", siloBudget.Spec.MaxUnavailable.Value);
        Assert.Equal(["parley-silo"], templates.Where(t => Matches(siloBudget.Spec.Selector.MatchLabels, t.Template.Metadata.Labels)).Select(t => t.Name));
        var frontEndBudget = manifests.Get<V1PodDisruptionBudget>("parley-client-api");
        Assert.Equal("1", frontEndBudget.Spec.MinAvailable.Value);
        Assert.Equal(["parley-client-api"], templates.Where(t => Matches(frontEndBudget.Spec.Selector.MatchLabels, t.Template.Metadata.Labels)).Select(t => t.Name));

        foreach (var service in manifests.All<V1Service>())
        {
            var selected = templates.Where(t => Matches(service.Spec.Selector, t.Template.Metadata.Labels)).ToList();
            var target = Assert.Single(selected);
            foreach (var port in service.Spec.Ports)
            {
                Assert.Contains(target.Template.Spec.Containers.SelectMany(c => c.Ports), p => p.Name == port.TargetPort.Value);
            }
        }
        foreach (var hpa in manifests.All<V2HorizontalPodAutoscaler>())
        {
            manifests.Get<V1Deployment>(hpa.Spec.ScaleTargetRef.Name);
        }
    }

    [Fact]
    public async Task Every_config_map_and_secret_a_pod_reads_exists_and_the_orleans_ids_agree()
    {
        var manifests = await RenderedManifests.GetAsync();
        foreach (var deployment in manifests.All<V1Deployment>())
        {
            var pod = deployment.Spec.Template.Spec;
            foreach (var source in pod.Containers.SelectMany(c => c.EnvFrom ?? []))
            {
                if (source.ConfigMapRef is { } configMap)
                {
                    manifests.Get<V1ConfigMap>(configMap.Name);
                }
                if (source.SecretRef is { } secret)
                {
                    manifests.Get<V1Secret>(secret.Name);
                }
            }
            foreach (var volume in (pod.Volumes ?? []).Where(v => v.ConfigMap is not null))
            {
                manifests.Get<V1ConfigMap>(volume.ConfigMap.Name);
            }
        }
        // Secrets reach Parley as environment variables: every key is a Parley setting, ":" written as "__".
        foreach (var key in manifests.Get<V1Secret>("parley-secrets").StringData.Keys)
        {
            Assert.Matches("^Parley__[A-Za-z0-9_]+$", key);
        }
        // The encryption key ring is a Secret of its own (rotated on its own), read by the silos only: a key and the
        // active key's id, which names one of its keys.
        var keyRing = manifests.Get<V1Secret>("parley-encryption-keys").StringData;
        Assert.All(keyRing.Keys, key => Assert.Matches("^Parley__Encryption__(Keys__[A-Za-z0-9._-]+|ActiveKeyId)$", key));
        Assert.Contains("Parley__Encryption__Keys__" + keyRing["Parley__Encryption__ActiveKeyId"], keyRing.Keys);
        Assert.Contains(RenderedManifests.OnlyContainer(manifests.Get<V1Deployment>("parley-silo")).EnvFrom, e => e.SecretRef?.Name == "parley-encryption-keys");
        Assert.DoesNotContain(RenderedManifests.OnlyContainer(manifests.Get<V1Deployment>("parley-client-api")).EnvFrom ?? [], e => e.SecretRef?.Name == "parley-encryption-keys");

        // Orleans' Kubernetes hosting takes the silo's ids from its pod's labels; they must be the cluster's.
        var cluster = manifests.Get<V1ConfigMap>("parley-cluster").Data;
        var labels = manifests.Get<V1Deployment>("parley-silo").Spec.Template.Metadata.Labels;
        Assert.Equal(cluster["Parley__Cluster__ServiceId"], labels["orleans/serviceId"]);
        Assert.Equal(cluster["Parley__Cluster__ClusterId"], labels["orleans/clusterId"]);
    }

    [Fact]
    public async Task The_silo_runs_orleans_kubernetes_hosting_with_the_pod_facts_and_rights_it_needs()
    {
        var manifests = await RenderedManifests.GetAsync();
        var silo = manifests.Get<V1Deployment>("parley-silo");
        var pod = silo.Spec.Template.Spec;
        var container = RenderedManifests.OnlyContainer(silo);
        var cluster = PodConfiguration.Of(manifests, silo).GetSection(SiloClusterOptions.SectionName).Get<SiloClusterOptions>();
        Assert.True(cluster?.Kubernetes, "Parley:Cluster:Kubernetes must be true in the silo pods (UseKubernetesHosting)");

        var fields = container.Env.Where(e => e.ValueFrom?.FieldRef is not null).ToDictionary(e => e.Name, e => e.ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.name", fields["POD_NAME"]);
        Assert.Equal("metadata.namespace", fields["POD_NAMESPACE"]);
        Assert.Equal("status.podIP", fields["POD_IP"]);
        Assert.Equal("metadata.labels['orleans/serviceId']", fields["ORLEANS_SERVICE_ID"]);
        Assert.Equal("metadata.labels['orleans/clusterId']", fields["ORLEANS_CLUSTER_ID"]);
        // Orleans' silo and gateway ports, as the silo's settings default them.
        var defaults = new SiloClusterOptions();
        Assert.Equal(defaults.SiloPort, Assert.Single(container.Ports, p => p.Name == "orleans-silo").ContainerPort);
        Assert.Equal(defaults.GatewayPort, Assert.Single(container.Ports, p => p.Name == "orleans-gateway").ContainerPort);

        // The hosting lists, watches, labels and deletes silo pods: a Role bound to the pods' service account.
        var binding = manifests.Get<V1RoleBinding>("parley-silo");
        Assert.Contains(binding.Subjects, s => s.Kind == "ServiceAccount" && s.Name == pod.ServiceAccountName);
        manifests.Get<V1ServiceAccount>(pod.ServiceAccountName);
        var rule = Assert.Single(manifests.Get<V1Role>(binding.RoleRef.Name).Rules);
        Assert.Equal(["pods"], rule.Resources);
        Assert.Equal(["delete", "get", "list", "patch", "watch"], rule.Verbs.Order(StringComparer.Ordinal));

        // The images run as a non-root user (USER $APP_UID, numeric), which the pods require.
        foreach (var deployment in manifests.All<V1Deployment>())
        {
            Assert.True(deployment.Spec.Template.Spec.SecurityContext.RunAsNonRoot);
        }
    }

    internal static bool Matches(IDictionary<string, string>? selector, IDictionary<string, string>? labels)
        => selector is { Count: > 0 } && labels is not null && selector.All(l => labels.TryGetValue(l.Key, out var value) && value == l.Value);
}
