using System.Diagnostics;
using System.Text.Json;
using Parley.Deploy.Tests.Infrastructure;
using Parley.ServiceDefaults;
using Xunit.Abstractions;

namespace Parley.Deploy.Tests.Docker;

/// <summary>The silo's and the front end's Dockerfiles. Docker does not run on the project's machines, so each build
/// stage is replayed (<see cref="DockerBuildReplay"/>): the same COPY steps from the same context, the same
/// <c>dotnet restore</c> and <c>dotnet publish</c> commands; the runtime stage must then find its ENTRYPOINT's dll where
/// it copies from, run it on the ASP.NET Core runtime of the project's .NET version, as a non-root user.</summary>
/// <remarks>The silo's and the front end's replays are in classes of their own so that xunit runs them side by side:
/// each publish is mostly a chain of projects built one after another, and two chains use both cores.</remarks>
public sealed class SiloDockerfileTests(ITestOutputHelper output)
{
    [Fact]
    public Task The_silo_image_builds_and_runs_its_published_dll()
        => DockerfileTests.BuildsAndRunsAsync(output, "silo/Dockerfile", "Parley.Silo.dll", [8080, 8082, 9464, 11111, 30000]);
}

public sealed class FrontEndDockerfileTests(ITestOutputHelper output)
{
    [Fact]
    public Task The_front_end_image_builds_and_runs_its_published_dll()
        => DockerfileTests.BuildsAndRunsAsync(output, "client-api/Dockerfile", "Parley.ClientApi.dll", [8080, 9464]);
}

public sealed class DockerfileTests
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(8);

    /// <summary>The replay fails where Docker would: a COPY of a folder that is not in the context (the silo's
    /// Dockerfile once copied a <c>runtime/</c> that did not exist), and one the .dockerignore excludes.</summary>
    [Fact]
    public async Task The_replay_fails_on_a_copy_docker_could_not_do()
    {
        var silo = Dockerfile.Load(Repository.PathOf("silo", "Dockerfile"));
        foreach (var (source, reason) in new[] { ("runtime/", "not in the build context"), ("tests/", "not in the build context") })
        {
            var path = Path.Combine(Path.GetTempPath(), $"parley-{Guid.NewGuid():N}.Dockerfile");
            await File.WriteAllTextAsync(path, $"FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build\nWORKDIR /src\nCOPY {source} {source}\n");
            File.Copy(silo.Path + ".dockerignore", path + ".dockerignore");
            try
            {
                var error = await Assert.ThrowsAnyAsync<Exception>(() => DockerBuildReplay.RunAsync(Dockerfile.Load(path), "build", Repository.Root, PublishTimeout));
                Assert.Contains($"{source} is {reason}", error.Message, StringComparison.Ordinal);
            }
            finally
            {
                File.Delete(path);
                File.Delete(path + ".dockerignore");
            }
        }
    }

    internal static async Task BuildsAndRunsAsync(ITestOutputHelper output, string dockerfilePath, string dll, int[] exposed)
    {
        var dockerfile = Dockerfile.Load(Repository.PathOf(dockerfilePath));
        var framework = TargetFrameworkVersion();
        var build = dockerfile.Stage("build");
        Assert.Equal($"mcr.microsoft.com/dotnet/sdk:{framework}", build.Image);
        // The runtime stage: ASP.NET Core's runtime image of the same .NET version (chiseled: no shell, no package manager).
        var runtime = dockerfile.Final;
        Assert.Equal($"mcr.microsoft.com/dotnet/aspnet:{framework}-noble-chiseled", runtime.Image);
        var user = Assert.Single(runtime.All("USER")).Arguments;
        Assert.Equal("$APP_UID", user);
        Assert.Equal(["dotnet", dll], dockerfile.Entrypoint.Take(2));
        Assert.Equal(exposed, runtime.All("EXPOSE").SelectMany(e => e.Words).Select(int.Parse));
        Assert.Contains(MetricsEndpointOptions.DefaultPort, exposed);
        Assert.Contains(dockerfile.ListenPort, exposed);

        var watch = Stopwatch.StartNew();
        using var replay = await DockerBuildReplay.RunAsync(dockerfile, "build", Repository.Root, PublishTimeout);
        output.WriteLine($"{dockerfilePath}: build stage replayed in {watch.Elapsed.TotalSeconds:F0} s: {string.Join(" && ", replay.Commands)}");
        Assert.Contains(replay.Commands, c => c.StartsWith("dotnet publish ", StringComparison.Ordinal));

        // COPY --from=build <published> ./ into WORKDIR: the ENTRYPOINT's dll and its runtime config must be there.
        var copy = Assert.Single(runtime.All("COPY")).Words;
        Assert.Equal(["--from=build", "/app", "./"], copy);
        Assert.Equal("/app", Assert.Single(runtime.All("WORKDIR")).Arguments);
        var published = replay.HostPath(copy[1]);
        Assert.True(File.Exists(Path.Combine(published, dll)), $"{dll} is not in the build stage's {copy[1]}: {string.Join(", ", Directory.EnumerateFiles(published).Select(Path.GetFileName))}");
        using var runtimeConfig = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(published, Path.ChangeExtension(dll, ".runtimeconfig.json"))));
        var frameworks = runtimeConfig.RootElement.GetProperty("runtimeOptions").GetProperty("frameworks").EnumerateArray()
            .ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("version").GetString()!);
        Assert.StartsWith(framework + ".", frameworks["Microsoft.AspNetCore.App"], StringComparison.Ordinal);
        // Framework-dependent with no apphost: the image's `dotnet` runs the dll.
        Assert.False(File.Exists(Path.Combine(published, Path.GetFileNameWithoutExtension(dll))));
        Assert.False(replay.IsIgnored(dockerfilePath));
        Assert.True(replay.IsIgnored("silo/bin/Debug/net10.0/Parley.Silo.dll"));
    }

    /// <summary>"10.0" from Directory.Build.props' net10.0.</summary>
    private static string TargetFrameworkVersion()
    {
        var props = File.ReadAllText(Repository.PathOf("Directory.Build.props"));
        var match = System.Text.RegularExpressions.Regex.Match(props, "<TargetFramework>net(\\d+\\.\\d+)</TargetFramework>");
        Assert.True(match.Success);
        return match.Groups[1].Value;
    }
}
