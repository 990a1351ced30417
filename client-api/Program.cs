using Parley.ClientApi.Hosting;

namespace Parley.ClientApi;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var app = FrontEndApplication.Build(args);
        FrontEndApplication.UseInlineSocketCompletions(app);
        await app.RunAsync();
        return 0;
    }
}
