using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Parley.ClientApi.Hosting;
using Parley.Deploy.Tests.Infrastructure;
using Parley.Silo;

namespace Parley.Deploy.Tests.Systemd;

/// <summary>deploy/systemd's units for a machine install. systemd does not run as the init system on the project's
/// machines, so the units are not started here; what is checked: <c>systemd-analyze verify</c> (syntax, every directive
/// known, the ExecStart binary present: the .NET runtime at /usr/bin/dotnet), the hardening (<c>systemd-analyze security
/// --offline</c>'s exposure score), and that they run the hosts' real dlls and outlast their drain.</summary>
public sealed partial class SystemdUnitTests
{
    private static readonly string Folder = Repository.PathOf("deploy", "systemd");
    private static readonly string[] Units = ["parley-silo.service", "parley-frontend.service"];

    [Fact]
    public async Task The_units_pass_systemd_analyze_verify_with_nothing_reported()
    {
        var result = await VerifyAsync(Units.Select(u => Path.Combine(Folder, u)));
        Assert.True(result.ExitCode == 0 && result.Output.Trim().Length == 0, $"systemd-analyze verify (exit {result.ExitCode}):\n{result.Output}");

        // It reports what it would ignore: a misspelt directive is caught, not silently dropped.
        var misspelt = Path.Combine(Path.GetTempPath(), $"parley-misspelt-{Guid.NewGuid():N}.service");
        await File.WriteAllTextAsync(misspelt, (await File.ReadAllTextAsync(Path.Combine(Folder, Units[0]))).Replace("DynamicUser=yes", "DynamicUsr=yes", StringComparison.Ordinal));
        try
        {
            var report = await VerifyAsync([misspelt]);
            Assert.Contains("Unknown key 'DynamicUsr' in section [Service]", report.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(misspelt);
        }
    }

    [Theory]
    [InlineData("parley-silo.service")]
    [InlineData("parley-frontend.service")]
    public async Task The_unit_is_hardened(string unit)
    {
        var directives = Directives(unit);
        foreach (var (name, value) in new[]
        {
            ("DynamicUser", "yes"), ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"),
            ("PrivateDevices", "yes"), ("CapabilityBoundingSet", ""), ("Restart", "on-failure"), ("RestartSec", "2s"),
        })
        {
            Assert.Equal([value], directives[name]);
        }
        Assert.DoesNotContain("MemoryDenyWriteExecute", directives.Keys); // .NET's JIT writes code it then executes

        var systemdAnalyze = ExternalTool.Find("systemd-analyze", "install systemd");
        var result = await ExternalTool.RunAsync(systemdAnalyze, ["security", "--offline=true", "--no-pager", Path.Combine(Folder, unit)]);
        var exposure = Exposure().Match(result.Output);
        Assert.True(exposure.Success, $"systemd-analyze security (exit {result.ExitCode}):\n{result.Output}");
        var level = double.Parse(exposure.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(level <= 2.0, $"{unit}: exposure {level} (systemd's scale: 0 safest, 10 exposed; OK up to 2.9)\n{result.Output}");
    }

    [Fact]
    public void The_units_run_the_hosts_dlls_and_outlast_their_drain()
    {
        var silo = Directives("parley-silo.service");
        Assert.Equal([$"/usr/bin/dotnet /opt/parley/silo/{typeof(SiloApplication).Assembly.GetName().Name}.dll --urls ${{PARLEY_URLS}}"], silo["ExecStart"]);
        Assert.Equal(["/opt/parley/silo"], silo["WorkingDirectory"]);
        Assert.Equal([Program.PortInUseExitCode.ToString(CultureInfo.InvariantCulture)], silo["RestartPreventExitStatus"]);
        // The silo's published settings (appsettings.json beside the dll): the host's stop budget.
        var shutdown = new ConfigurationBuilder().AddJsonFile(Repository.PathOf("silo", "appsettings.json")).Build()
            .GetSection(ShutdownOptions.SectionName).Get<ShutdownOptions>() ?? new ShutdownOptions();
        var siloStop = TimeSpan.FromSeconds(int.Parse(Assert.Single(silo["TimeoutStopSec"]), CultureInfo.InvariantCulture));
        Assert.True(siloStop > shutdown.ShutdownTimeout, $"TimeoutStopSec {siloStop} must exceed the silo's stop budget {shutdown.ShutdownTimeout}");

        var frontEnd = Directives("parley-frontend.service");
        Assert.Equal([$"/usr/bin/dotnet /opt/parley/client-api/{typeof(FrontEndApplication).Assembly.GetName().Name}.dll --urls ${{PARLEY_URLS}}"], frontEnd["ExecStart"]);
        var frontEndStop = TimeSpan.FromSeconds(int.Parse(Assert.Single(frontEnd["TimeoutStopSec"]), CultureInfo.InvariantCulture));
        Assert.True(frontEndStop > new Microsoft.Extensions.Hosting.HostOptions().ShutdownTimeout);

        // Both read their secrets from a root-only environment file, and set the address they serve on.
        Assert.Equal(["/etc/parley/parley-silo.env"], silo["EnvironmentFile"]);
        Assert.Equal(["/etc/parley/parley-frontend.env"], frontEnd["EnvironmentFile"]);
        Assert.Contains("PARLEY_URLS=http://0.0.0.0:8080", silo["Environment"]);
        Assert.Contains("PARLEY_URLS=http://0.0.0.0:8080", frontEnd["Environment"]);
    }

    private static async Task<ToolResult> VerifyAsync(IEnumerable<string> units)
    {
        var systemdAnalyze = ExternalTool.Find("systemd-analyze", "install systemd");
        return await ExternalTool.RunAsync(systemdAnalyze, ["verify", .. units]);
    }

    /// <summary>The unit's directives, name to values (a directive may repeat), comments dropped.</summary>
    private static Dictionary<string, List<string>> Directives(string unit)
    {
        var directives = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(Path.Combine(Folder, unit)).Select(l => l.Trim()))
        {
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith('['))
            {
                continue;
            }
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            var name = line[..equals];
            if (!directives.TryGetValue(name, out var values))
            {
                directives[name] = values = [];
            }
            values.Add(line[(equals + 1)..]);
        }
        return directives;
    }

    [GeneratedRegex(@"Overall exposure level for \S+: (\d+\.\d+)")]
    private static partial Regex Exposure();
}
