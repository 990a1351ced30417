using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Parley.Sim.Hosting;

namespace Parley.Sim;

/// <summary>The standalone simulator: <c>dotnet run --project sim -- --urls http://127.0.0.1:5555</c>, settings
/// as --Simulator:Name=value arguments or Simulator__Name environment variables.</summary>
public static class SimulatorProgram
{
    public static async Task<int> Main(string[] args)
    {
        Microsoft.AspNetCore.Builder.WebApplication app;
        try
        {
            app = SimulatorApplication.Build(args);
            await app.StartAsync();
        }
        catch (OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync("Invalid simulator settings:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", ex.Failures));
            return 2;
        }
        var options = app.Services.GetRequiredService<IOptions<SimulatorOptions>>().Value;
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        Console.WriteLine("Parley upstream simulator: an OpenAI, Azure OpenAI and Anthropic fake, not a language model.");
        foreach (var address in addresses)
        {
            var root = address.TrimEnd('/');
            Console.WriteLine($"  listening on:      {address}  (OpenAI base URL {root}/v1, Azure OpenAI endpoint {root}, Anthropic base URL {root})");
        }
        Console.WriteLine(options.Describe());
        await app.WaitForShutdownAsync();
        await app.DisposeAsync();
        return 0;
    }
}
