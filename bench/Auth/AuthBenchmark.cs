using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Parley.Oidc.Testing;
using Parley.Silo.Auth;
using Parley.Silo.Auth.Store;

namespace Parley.Bench.Auth;

internal sealed record AuthBenchmarkOptions(int Iterations, int Rounds);

/// <summary>
/// What authenticating one request costs in the silo, in process: the <c>ParleyBearer</c> policy scheme as the
/// authentication middleware calls it, for a virtual key (its lookup cached, as on every request after a key's first)
/// and for a JWT from a real OpenIddict issuer on loopback (its keys and its user cached; the RS256 signature is verified
/// on every request). Each request gets its own DI scope, as in ASP.NET Core (included in the figures). Reports µs and
/// bytes allocated per request, median of the rounds, on one thread.
/// </summary>
internal static class AuthBenchmark
{
    public static async Task<int> RunAsync(AuthBenchmarkOptions options)
    {
        await using var issuer = await TestIssuer.StartAsync();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Parley:Auth:Oidc:Authority"] = issuer.Url.AbsoluteUri,
            ["Parley:Auth:Oidc:Audience"] = TestIssuer.Audience,
            ["Parley:Auth:Oidc:RequireHttpsMetadata"] = "false",
        });
        builder.AddParleyAuth();
        await using var app = builder.Build();
        var services = app.Services;

        var store = services.GetRequiredService<IIdentityStore>();
        var user = new UserRecord(ApiKeySecrets.NewUserId(), "bench", 0, Disabled: false);
        await store.CreateUserAsync(user);
        var key = ApiKeySecrets.NewSecret();
        await store.CreateKeyAsync(new ApiKeyRecord(ApiKeySecrets.NewKeyId(), user.Id, "bench", 0, false, ApiKeySecrets.Hint(key), false),
            ApiKeySecrets.Hash(key).ToHex());
        var token = issuer.Sign(issuer.TokenClaims("bench-person", DateTimeOffset.UtcNow));

        Console.WriteLine($"auth: {options.Iterations:N0} authentications per round, {options.Rounds} rounds, one thread (median round)");
        Console.WriteLine($"{"credential",-32} {"µs/request",12} {"bytes/request",14}");
        var authenticator = services.GetRequiredService<ApiKeyAuthenticator>();
        var rows = new (string Name, Func<IServiceProvider, HttpContext, Task> Authenticate, string Credential)[]
        {
            ("scope + key lookup only", async (_, context) =>
            {
                // The key path without the scheme (what the middleware called before): the floor of the rows below.
                if (await authenticator.AuthenticateAsync(ParleyBearer.Token(context.Request).AsSpan(), default) is null)
                {
                    throw new InvalidOperationException("The benchmark key was refused.");
                }
            }, key),
            ("virtual key (cached)", ThroughSchemeAsync, key),
            ("JWT RS256 (keys, user cached)", ThroughSchemeAsync, token),
        };
        foreach (var (name, authenticate, credential) in rows)
        {
            var (micros, bytes) = await MeasureAsync(services, credential, authenticate, options);
            Console.WriteLine($"{name,-32} {micros.ToString("F2", CultureInfo.InvariantCulture),12} {bytes.ToString("F0", CultureInfo.InvariantCulture),14}");
        }
        return 0;
    }

    private static async Task ThroughSchemeAsync(IServiceProvider _, HttpContext context)
    {
        var result = await context.AuthenticateAsync(ParleyBearer.Scheme);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException("The benchmark credential was refused: " + result.Failure?.Message);
        }
    }

    private static async Task<(double Micros, double Bytes)> MeasureAsync(IServiceProvider services, string credential,
        Func<IServiceProvider, HttpContext, Task> authenticate, AuthBenchmarkOptions options)
    {
        var header = "Bearer " + credential;
        async Task OnceAsync()
        {
            // A scope per request, as ASP.NET Core makes one: authentication handlers (and their results) live in it.
            await using var scope = services.CreateAsyncScope();
            var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
            context.Request.Headers.Authorization = header;
            await authenticate(scope.ServiceProvider, context);
        }

        for (var i = 0; i < Math.Min(options.Iterations, 2_000); i++)
        {
            await OnceAsync();
        }
        var rounds = new List<(double, double)>();
        for (var round = 0; round < options.Rounds; round++)
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < options.Iterations; i++)
            {
                await OnceAsync();
            }
            watch.Stop();
            rounds.Add((watch.Elapsed.TotalMicroseconds / options.Iterations, (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)options.Iterations));
        }
        rounds.Sort();
        return rounds[rounds.Count / 2];
    }
}
