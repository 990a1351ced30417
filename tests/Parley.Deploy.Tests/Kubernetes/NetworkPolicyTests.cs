using k8s.Models;

namespace Parley.Deploy.Tests.Kubernetes;

/// <summary>The NetworkPolicies, evaluated the way Kubernetes does for ingress (a pod selected by any policy accepts only
/// what some rule of those policies allows; rules match peers by pod and namespace labels, and ports by number or by the
/// target container's port name), over the rendered pods. Ports are asked for by the containers' port names, so a
/// policy that names a number the pods do not listen on fails too.</summary>
public sealed class NetworkPolicyTests
{
    private const string Namespace = "parley";
    private const string Monitoring = "monitoring";

    [Fact]
    public async Task Front_ends_reach_the_silos_http2_and_gateway_ports_and_nothing_else_of_them()
    {
        var policies = await PoliciesAsync();
        var frontEnd = Pod.Of(policies.Manifests, "parley-client-api");
        Assert.True(policies.Allows(frontEnd, "parley-silo", "frontend-h2"));
        Assert.True(policies.Allows(frontEnd, "parley-silo", "orleans-gateway"));
        // The API port (HTTP/1.1) is for operators (the parley-silo Service); the front end forwards to the HTTP/2 one.
        Assert.False(policies.Allows(frontEnd, "parley-silo", "http"));
        Assert.False(policies.Allows(frontEnd, "parley-silo", "orleans-silo"));
        Assert.False(policies.Allows(frontEnd, "parley-silo", "metrics"));
    }

    [Fact]
    public async Task Silos_reach_each_other_on_the_orleans_silo_port()
    {
        var policies = await PoliciesAsync();
        var silo = Pod.Of(policies.Manifests, "parley-silo");
        Assert.True(policies.Allows(silo, "parley-silo", "orleans-silo"));
        Assert.False(policies.Allows(silo, "parley-silo", "metrics"));
    }

    [Fact]
    public async Task Only_silos_and_front_ends_reach_redis()
    {
        var policies = await PoliciesAsync();
        Assert.True(policies.Allows(Pod.Of(policies.Manifests, "parley-silo"), "redis", "redis"));
        Assert.True(policies.Allows(Pod.Of(policies.Manifests, "parley-client-api"), "redis", "redis"));
        Assert.False(policies.Allows(new Pod(Namespace, new Dictionary<string, string> { ["app.kubernetes.io/name"] = "something-else" }), "redis", "redis"));
        Assert.False(policies.Allows(new Pod(Monitoring, new Dictionary<string, string>()), "redis", "redis"));
    }

    [Fact]
    public async Task Prometheus_scrapes_the_management_port_of_silos_and_front_ends_and_nothing_else()
    {
        var policies = await PoliciesAsync();
        var prometheus = new Pod(Monitoring, new Dictionary<string, string> { ["app.kubernetes.io/name"] = "prometheus" });
        Assert.True(policies.Allows(prometheus, "parley-silo", "metrics"));
        Assert.True(policies.Allows(prometheus, "parley-client-api", "metrics"));
        Assert.False(policies.Allows(prometheus, "parley-silo", "http"));
        Assert.False(policies.Allows(prometheus, "parley-silo", "orleans-silo"));
        // Pods of the parley namespace are not Prometheus.
        Assert.False(policies.Allows(Pod.Of(policies.Manifests, "parley-client-api"), "parley-silo", "metrics"));
    }

    [Fact]
    public async Task Clients_anywhere_reach_the_front_end_but_no_silo()
    {
        var policies = await PoliciesAsync();
        var client = new Pod("default", new Dictionary<string, string> { ["app"] = "chat-ui" });
        Assert.True(policies.Allows(client, "parley-client-api", "http"));
        Assert.False(policies.Allows(client, "parley-client-api", "metrics"));
        Assert.False(policies.Allows(client, "parley-silo", "http"));
        Assert.False(policies.Allows(client, "parley-silo", "orleans-gateway"));
        // Every pod of the namespace is selected by a policy: nothing is open by omission.
        foreach (var workload in new[] { "parley-silo", "parley-client-api", "redis" })
        {
            Assert.NotEmpty(policies.Selecting(workload));
        }
    }

    private static async Task<Policies> PoliciesAsync() => new(await RenderedManifests.GetAsync());

    private sealed record Pod(string Namespace, IDictionary<string, string> Labels)
    {
        public static Pod Of(RenderedManifests manifests, string workload) => new(NetworkPolicyTests.Namespace, Policies.Template(manifests, workload).Metadata.Labels);
    }

    private sealed class Policies(RenderedManifests manifests)
    {
        public RenderedManifests Manifests { get; } = manifests;

        public static V1PodTemplateSpec Template(RenderedManifests manifests, string workload)
            => manifests.All<V1Deployment>().Where(d => d.Metadata.Name == workload).Select(d => d.Spec.Template)
                .Concat(manifests.All<V1StatefulSet>().Where(s => s.Metadata.Name == workload).Select(s => s.Spec.Template))
                .Single();

        public IReadOnlyList<V1NetworkPolicy> Selecting(string workload)
        {
            var labels = Template(Manifests, workload).Metadata.Labels;
            return [.. Manifests.All<V1NetworkPolicy>().Where(p => p.Spec.PolicyTypes.Contains("Ingress")
                && (p.Spec.PodSelector.MatchLabels is not { Count: > 0 } || ManifestInvariantTests.Matches(p.Spec.PodSelector.MatchLabels, labels)))];
        }

        /// <summary>Whether <paramref name="from"/> may open a TCP connection to <paramref name="workload"/>'s pods on the
        /// container port named <paramref name="portName"/>.</summary>
        public bool Allows(Pod from, string workload, string portName)
        {
            var template = Template(Manifests, workload);
            var port = Assert.Single(template.Spec.Containers.SelectMany(c => c.Ports), p => p.Name == portName);
            var selecting = Selecting(workload);
            if (selecting.Count == 0)
            {
                return true;
            }
            return selecting.SelectMany(p => p.Spec.Ingress ?? []).Any(rule =>
                (rule.FromProperty is not { Count: > 0 } || rule.FromProperty.Any(peer => PeerMatches(peer, from)))
                && (rule.Ports is not { Count: > 0 } || rule.Ports.Any(p => (p.Protocol ?? "TCP") == "TCP"
                    && (p.Port.Value == port.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture) || p.Port.Value == port.Name))));
        }

        private static bool PeerMatches(V1NetworkPolicyPeer peer, Pod from)
        {
            Assert.Null(peer.IpBlock);
            var namespaceMatches = peer.NamespaceSelector is null
                ? from.Namespace == Namespace
                : peer.NamespaceSelector.MatchLabels is not { Count: > 0 }
                  || ManifestInvariantTests.Matches(peer.NamespaceSelector.MatchLabels, new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = from.Namespace });
            var podMatches = peer.PodSelector is null || peer.PodSelector.MatchLabels is not { Count: > 0 }
                || ManifestInvariantTests.Matches(peer.PodSelector.MatchLabels, from.Labels);
            return namespaceMatches && podMatches;
        }
    }
}
