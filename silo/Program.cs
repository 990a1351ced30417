using Microsoft.AspNetCore.Connections;
using Parley.Silo.Hosting;

namespace Parley.Silo;

public static class Program
{
    /// <summary>Exit code when a port the silo needs is taken.</summary>
    public const int PortInUseExitCode = 2;

    public static async Task<int> Main(string[] args)
    {
        try
        {
            var app = SiloApplication.Build(args);
            await app.RunAsync();
            return 0;
        }
        catch (PortInUseException e)
        {
            await Console.Error.WriteLineAsync("parley: " + e.Message);
            return PortInUseExitCode;
        }
        catch (IOException e) when (e.InnerException is AddressInUseException)
        {
            // Taken between the check and Kestrel's bind.
            await Console.Error.WriteLineAsync("parley: " + e.Message + " Pick another port with --urls.");
            return PortInUseExitCode;
        }
    }
}
