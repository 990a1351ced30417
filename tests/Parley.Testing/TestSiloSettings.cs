using System.Globalization;

namespace Parley.Testing;

/// <summary>The settings every in-process test silo starts from: a cluster of one on its own loopback Orleans ports, no
/// Redis, no embedded simulator, no Prometheus management port (only the telemetry tests scrape one, and turn it on),
/// and upstream providers that point at a test's simulator and pass its failures straight through.</summary>
public static class TestSiloSettings
{
    public static Dictionary<string, string?> Create(string adminKey, TimeSpan gracePeriod)
    {
        // Each test silo is a cluster of its own on loopback: its two Orleans ports must not collide with another's.
        var orleansPorts = FreePort.Next(2);
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Logging:LogLevel:Default"] = "Warning",
            // Orleans reports a lost Redis (the outage tests take it away on purpose) at every membership refresh.
            ["Logging:LogLevel:Orleans"] = "Error",
            ["Parley:Auth:AdminKey"] = adminKey,
            ["Parley:Simulator:Enabled"] = "false",
            ["Parley:Redis:ConnectionString"] = "",
            ["Parley:Shutdown:GracePeriod"] = gracePeriod.ToString("c", CultureInfo.InvariantCulture),
            // No front end polls these silos' readiness; the drain tests set their own delay.
            ["Parley:Shutdown:DrainDelay"] = "00:00:00",
            ["Parley:Cluster:SiloPort"] = orleansPorts[0].ToString(CultureInfo.InvariantCulture),
            ["Parley:Cluster:GatewayPort"] = orleansPorts[1].ToString(CultureInfo.InvariantCulture),
            // Its default, 9464, is one port for all the silos a test run starts.
            ["Parley:Telemetry:Metrics:Enabled"] = "false",
            // Each test silo's audit trail (SQLite and spool) in a directory of its own, not the user's data directory.
            ["Parley:Audit:Directory"] = Directory.CreateTempSubdirectory("parley-audit-").FullName,
        };
        // Encryption at rest with a fixed test key, so silos of one test on one Redis read each other's data.
        TestEncryptionKeys.UseFirst(settings);
        return settings;
    }

    /// <summary>An OpenAI-protocol provider on the simulator at <paramref name="baseUrl"/>: generous timeouts, no retries
    /// (tests force upstream faults and check how each is answered), and a key that never cools down.</summary>
    public static void AddSimulatorProvider(IDictionary<string, string?> settings, string provider, Uri baseUrl, string apiKey)
    {
        settings[$"Parley:Providers:{provider}:Type"] = "OpenAI";
        settings[$"Parley:Providers:{provider}:BaseUrl"] = baseUrl.ToString();
        settings[$"Parley:Providers:{provider}:ApiKey"] = apiKey;
        settings[$"Parley:Providers:{provider}:Resilience:FirstByteTimeout"] = "00:00:30";
        settings[$"Parley:Providers:{provider}:Resilience:StallTimeout"] = "00:00:30";
        settings[$"Parley:Providers:{provider}:Resilience:Retry:MaxRetries"] = "0";
        settings[$"Parley:Providers:{provider}:Pool:ErrorsBeforeCooldown"] = "100000";
    }
}
