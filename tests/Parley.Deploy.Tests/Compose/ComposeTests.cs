using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Parley.ClientApi.Hosting;
using Parley.Deploy.Tests.Infrastructure;
using Parley.ServiceDefaults;
using Parley.Silo;

namespace Parley.Deploy.Tests.Compose;

/// <summary>deploy/compose: the compose file passes the Compose Specification's schema, runs what it says (Redis, three
/// silos and the front end from the repository's Dockerfiles, Prometheus with Parley's rules), gives every host longer
/// than its drain to stop, and Prometheus' configuration, as the container sees its mounts, passes promtool.</summary>
public sealed class ComposeTests
{
    private static readonly string ComposePath = Repository.PathOf("deploy", "compose", "compose.yaml");
    private static readonly string[] Silos = ["silo1", "silo2", "silo3"];

    [Fact]
    public async Task The_compose_file_passes_the_compose_specification_schema()
    {
        var report = await SchemaValidator.ComposeAsync(ComposePath);
        Assert.Empty(report.Errors);
        Assert.Equal(0, report.ExitCode);
        Assert.Equal(1, report.Objects);

        // And the check can fail: a misspelt service key and a duration Compose cannot read.
        var broken = (await File.ReadAllTextAsync(ComposePath))
            .Replace("stop_grace_period: 40s", "stop_grace_period: forty", StringComparison.Ordinal)
            .Replace("    healthcheck:", "    healtcheck:", StringComparison.Ordinal);
        var file = Path.Combine(Path.GetTempPath(), $"parley-compose-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, broken);
        try
        {
            var brokenReport = await SchemaValidator.ComposeAsync(file);
            Assert.Equal(1, brokenReport.ExitCode);
            Assert.Contains(brokenReport.Errors, e => e.Contains("/services/client-api/stop_grace_period: must match format \"duration\"", StringComparison.Ordinal));
            Assert.Contains(brokenReport.Errors, e => e.Contains("/services/redis: must NOT have additional properties {\"additionalProperty\":\"healtcheck\"}", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void It_runs_redis_three_silos_a_front_end_and_prometheus_from_the_repository_dockerfiles()
    {
        var compose = ComposeFile.Load(ComposePath);
        Assert.Equal(["client-api", "prometheus", "redis", "silo1", "silo2", "silo3"], compose.Services.Keys.Order(StringComparer.Ordinal));
        foreach (var (service, dockerfile) in Silos.Select(s => (s, "silo/Dockerfile")).Append(("client-api", "client-api/Dockerfile")))
        {
            var build = ComposeFile.Map(compose.Service(service)["build"]);
            var context = Path.GetFullPath(Path.Combine(compose.Directory, (string)build["context"]));
            Assert.Equal(Repository.Root, context.TrimEnd('/'));
            Assert.Equal(dockerfile, build["dockerfile"]);
            Assert.True(File.Exists(Path.Combine(context, dockerfile)));

            // One Redis, one Orleans cluster: the same connection and ids everywhere, Redis started healthy first.
            var environment = ComposeFile.Map(compose.Service(service)["environment"]);
            Assert.Equal("redis:6379,abortConnect=false", environment["Parley__Redis__ConnectionString"]);
            Assert.Equal("parley", environment["Parley__Cluster__ServiceId"]);
            Assert.Equal("parley", environment["Parley__Cluster__ClusterId"]);
            Assert.Equal("service_healthy", ComposeFile.Map(ComposeFile.Map(compose.Service(service)["depends_on"])["redis"])["condition"]);
        }
        // Secrets come from the environment (.env), never from the file; the admin key is required.
        foreach (var silo in Silos)
        {
            var environment = ComposeFile.Map(compose.Service(silo)["environment"]);
            Assert.StartsWith("${PARLEY_ADMIN_KEY:?", (string)environment["Parley__Auth__AdminKey"], StringComparison.Ordinal);
            Assert.StartsWith("${OPENAI_API_KEY:-", (string)environment["Parley__Providers__openai__ApiKey"], StringComparison.Ordinal);
            // Encryption at rest: the key is required, and names the active key.
            Assert.StartsWith("${PARLEY_ENCRYPTION_KEY:?", (string)environment["Parley__Encryption__Keys__primary"], StringComparison.Ordinal);
            Assert.Equal("primary", (string)environment["Parley__Encryption__ActiveKeyId"]);
            // The port the front end forwards to over HTTP/2.
            Assert.Equal("8082", (string)environment["Parley__Cluster__FrontEndHttp2Port"]);
        }
        var frontEnd = ComposeFile.Map(compose.Service("client-api")["environment"]);
        Assert.Equal("8082", frontEnd["Parley__FrontEnd__SiloHttpPort"]);
        Assert.Equal("Http2", frontEnd["Parley__FrontEnd__SiloProtocol"]);
        Assert.Equal(["CMD", "redis-cli", "ping"], ComposeFile.List(ComposeFile.Map(compose.Service("redis")["healthcheck"])["test"]));
    }

    [Fact]
    public async Task Every_host_gets_longer_than_its_drain_to_stop()
    {
        var compose = ComposeFile.Load(ComposePath);
        // The silo's own settings (appsettings.json beside the dll) and the environment compose gives it.
        foreach (var silo in Silos)
        {
            var configuration = new ConfigurationBuilder()
                .AddJsonFile(Repository.PathOf("silo", "appsettings.json"))
                .AddInMemoryCollection(EnvironmentOf(compose, silo))
                .Build();
            var shutdown = configuration.GetSection(ShutdownOptions.SectionName).Get<ShutdownOptions>() ?? new ShutdownOptions();
            var grace = ComposeFile.Duration((string)compose.Service(silo)["stop_grace_period"]);
            Assert.True(grace > shutdown.ShutdownTimeout, $"{silo}: stop_grace_period {grace} must exceed the silo's stop budget {shutdown.ShutdownTimeout}");
        }

        var frontEndConfiguration = new ConfigurationBuilder().AddInMemoryCollection(EnvironmentOf(compose, "client-api")).Build();
        await using var app = FrontEndApplication.Build(["--urls", "http://127.0.0.1:0"], builder => builder.Configuration.AddConfiguration(frontEndConfiguration));
        var frontEndTimeout = app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout;
        var frontEndGrace = ComposeFile.Duration((string)compose.Service("client-api")["stop_grace_period"]);
        Assert.True(frontEndGrace > frontEndTimeout, $"client-api: stop_grace_period {frontEndGrace} must exceed its shutdown timeout {frontEndTimeout}");
    }

    [Fact]
    public async Task Prometheus_loads_parley_rules_and_scrapes_every_silo_and_the_front_end()
    {
        var compose = ComposeFile.Load(ComposePath);
        // The container's file system as its mounts make it: each host file at its container path.
        var root = Path.Combine(Path.GetTempPath(), $"parley-prometheus-{Guid.NewGuid():N}");
        try
        {
            string? configPath = null;
            foreach (var mount in ComposeFile.List(compose.Service("prometheus")["volumes"]).Cast<string>())
            {
                var parts = mount.Split(':');
                if (!parts[0].StartsWith('.'))
                {
                    continue; // a named volume
                }
                var target = Path.Combine(root, parts[1].TrimStart('/'));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(Path.Combine(compose.Directory, parts[0]), target);
                Assert.Equal("ro", parts[2]);
                if (parts[1] == "/etc/prometheus/prometheus.yml")
                {
                    configPath = target;
                }
            }
            Assert.NotNull(configPath);
            var promtool = ExternalTool.Find("promtool", "install Debian's prometheus package");
            var result = await ExternalTool.RunAsync(promtool, ["check", "config", configPath], workingDirectory: root);
            Assert.True(result.ExitCode == 0, $"promtool check config (exit {result.ExitCode}):\n{result.Output}");
            Assert.Contains("SUCCESS: 1 rule files found", result.Output, StringComparison.Ordinal);
            Assert.Contains("SUCCESS: 14 rules found", result.Output, StringComparison.Ordinal);

            // Every Parley container's management port, under the job names the alerts read (up{job="parley-silo"}).
            var config = ComposeFile.Load(configPath);
            var jobs = ComposeFile.List(config.Root["scrape_configs"]).Select(ComposeFile.Map).ToDictionary(
                j => (string)j["job_name"],
                j => ComposeFile.List(j["static_configs"]).Select(ComposeFile.Map).SelectMany(s => ComposeFile.List(s["targets"]).Cast<string>()).ToList());
            var port = MetricsEndpointOptions.DefaultPort;
            Assert.Equal(Silos.Select(s => $"{s}:{port}"), jobs["parley-silo"]);
            Assert.Equal([$"client-api:{port}"], jobs["parley-frontend"]);
            Assert.Contains("up{job=\"parley-silo\"}", await File.ReadAllTextAsync(Path.Combine(root, "etc", "prometheus", "parley-rules.yml")), StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static Dictionary<string, string?> EnvironmentOf(ComposeFile compose, string service)
        => ComposeFile.Map(compose.Service(service)["environment"]).ToDictionary(e => e.Key.Replace("__", ":", StringComparison.Ordinal), e => (string?)e.Value);
}
