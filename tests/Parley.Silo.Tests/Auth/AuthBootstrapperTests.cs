using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Parley.Silo.Auth;
using Parley.Silo.Auth.Store;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Auth;

public sealed class AuthBootstrapperTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly InMemoryIdentityStore _store = new();
    private readonly CapturingAnnouncer _announcer = new();

    private async Task<ApiKeyAuthenticator> RunAsync(AuthOptions options)
    {
        var authenticator = new ApiKeyAuthenticator(_store, Parley.Grains.Encryption.ContentCipher.Disabled(), _time, Options.Create(options));
        var bootstrapper = new AuthBootstrapper(_store, new IdentityManager(_store, authenticator, Parley.Grains.Encryption.ContentCipher.Disabled(), _time), _announcer,
            Options.Create(options), NullLogger<AuthBootstrapper>.Instance);
        await bootstrapper.StartAsync(default);
        return authenticator;
    }

    [Fact]
    public async Task A_first_start_without_configured_keys_creates_and_announces_an_admin_key_and_a_user_key()
    {
        var authenticator = await RunAsync(new AuthOptions());

        var credentials = Assert.Single(_announcer.Announced);
        var user = Assert.Single(await _store.ListUsersAsync());
        Assert.Equal(new BootstrapCredentials(credentials.AdminKey, user.Id, "default", credentials.UserKey), credentials);
        Assert.True((await authenticator.AuthenticateAsync(credentials.AdminKey!, default))!.IsAdmin);
        Assert.Equal(user.Id, (await authenticator.AuthenticateAsync(credentials.UserKey!, default))!.UserId);
    }

    [Fact]
    public async Task A_second_start_on_the_same_store_announces_nothing()
    {
        await RunAsync(new AuthOptions());
        await RunAsync(new AuthOptions());

        Assert.Single(_announcer.Announced);
        Assert.Single(await _store.ListUsersAsync());
    }

    [Fact]
    public async Task A_configured_admin_key_alone_means_no_bootstrap()
    {
        await RunAsync(new AuthOptions { AdminKey = "configured-admin-key-0123456789" });

        Assert.Empty(_announcer.Announced);
        Assert.Empty(await _store.ListUsersAsync());
    }

    [Fact]
    public async Task A_configured_user_key_is_given_to_the_default_user_and_not_shown()
    {
        const string userKey = "sk-parley-configured-user-key-0123456789";
        var authenticator = await RunAsync(new AuthOptions { AdminKey = "configured-admin-key-0123456789", BootstrapUserKey = userKey });

        var credentials = Assert.Single(_announcer.Announced);
        Assert.Null(credentials.AdminKey);
        Assert.Null(credentials.UserKey);
        Assert.Equal(credentials.UserId, (await authenticator.AuthenticateAsync(userKey, default))!.UserId);
    }

    [Fact]
    public void The_console_announcer_holds_the_credentials_for_the_startup_banner_once()
    {
        var announcer = new ConsoleBootstrapAnnouncer();
        var credentials = new BootstrapCredentials("sk-parley-admin", "user_1", "default", "sk-parley-user");
        announcer.Announce(credentials);

        Assert.Same(credentials, announcer.TakePending());
        Assert.Null(announcer.TakePending());
    }

    [Fact]
    public void The_console_banner_shows_generated_secrets_and_not_configured_ones()
    {
        var generated = new StringWriter();
        ConsoleBootstrapAnnouncer.Write(generated, new BootstrapCredentials("sk-parley-admin", "user_1", "default", "sk-parley-user"));
        Assert.Contains(" Admin key:        sk-parley-admin", generated.ToString());
        Assert.Contains(" User 'default' key: sk-parley-user", generated.ToString());

        var configured = new StringWriter();
        ConsoleBootstrapAnnouncer.Write(configured, new BootstrapCredentials(null, "user_1", "default", null));
        Assert.DoesNotContain("sk-parley", configured.ToString());
    }

    private sealed class CapturingAnnouncer : IBootstrapAnnouncer
    {
        public List<BootstrapCredentials> Announced { get; } = [];

        public void Announce(BootstrapCredentials credentials) => Announced.Add(credentials);
    }
}
