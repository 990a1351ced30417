using System.Diagnostics;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Parley.ClientApi.Health;
using Parley.ClientApi.Tests.Infrastructure;
using Parley.Testing;

namespace Parley.ClientApi.Tests.Hosting;

/// <summary><c>Parley:FrontEnd:InlineCompletions</c>: on by default, Kestrel runs the forwarding inline and the front
/// end's own process runs socket completions on one event thread per core; off, both keep the runtime's defaults.</summary>
public sealed class InlineCompletionsTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(null, true)]
    [InlineData("true", true)]
    [InlineData("false", false)]
    public async Task Kestrel_schedules_inline_unless_turned_off(string? setting, bool inline)
    {
        await using var host = await FrontEndHost.StartWithSilosAsync(["http://127.0.0.1:1"], new Dictionary<string, string?>
        {
            ["Parley:FrontEnd:InlineCompletions"] = setting,
        });

        Assert.Equal(inline, host.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.UnsafePreferInlineScheduling);
    }

    [Fact]
    public async Task The_front_end_process_has_one_socket_event_thread_per_core_and_the_runtime_default_when_turned_off()
    {
        var inline = await SocketEventThreadsAsync(inlineCompletions: null);
        var defaults = await SocketEventThreadsAsync(inlineCompletions: "false");

        // Inline completions give every core an event thread (the runtime's rule); without them one thread serves up to
        // 30 cores, so on a machine of 2 or more cores the counts differ.
        Assert.Equal(Environment.ProcessorCount, inline);
        Assert.True(Environment.ProcessorCount == 1 || defaults < inline, $"{defaults} event threads without inline completions, {inline} with");
    }

    /// <summary>Starts client-api as its own process (a static silo list, no management port), waits until it serves,
    /// and counts its threads named <c>.NET Sockets</c>.</summary>
    private static async Task<int> SocketEventThreadsAsync(string? inlineCompletions)
    {
        var port = FreePort.Next();
        var info = new ProcessStartInfo(BuiltAssemblies.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(BuiltAssemblies.Path("client-api", "Parley.ClientApi"));
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{port}");
        info.Environment["Parley__FrontEnd__Silos__0"] = "http://127.0.0.1:1";
        info.Environment["Parley__Telemetry__Metrics__Enabled"] = "false";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment.Remove(ClientApi.Hosting.FrontEndApplication.InlineSocketCompletionsVariable);
        if (inlineCompletions is not null)
        {
            info.Environment["Parley__FrontEnd__InlineCompletions"] = inlineCompletions;
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException("client-api did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(2) };
            var started = Stopwatch.StartNew();
            while (!await AnswersAsync(client))
            {
                if (process.HasExited)
                {
                    Assert.Fail($"client-api exited with {process.ExitCode}: {await errors}");
                }
                Assert.True(started.Elapsed < StartTimeout, "client-api did not answer on its port");
                await Task.Delay(50);
            }
            return Directory.GetDirectories($"/proc/{process.Id}/task")
                .Count(task => File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == ".NET Sockets");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            await Task.WhenAll(output, errors);
        }
    }

    private static async Task<bool> AnswersAsync(HttpClient client)
    {
        try
        {
            using var response = await client.GetAsync(FrontEndHealth.LivePath);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }
}
