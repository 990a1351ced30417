namespace Parley.Silo;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var app = SiloApplication.Build(args);
        await app.RunAsync();
        return 0;
    }
}
