using System.Text;
using System.Text.Json;
using Parley.Cli.Tests.Infrastructure;

namespace Parley.Cli.Tests.Login;

/// <summary>`parley login`, `logout` and `profiles` as separate processes against a real silo, with a real Secret
/// Service (gnome-keyring over D-Bus) or none.</summary>
public sealed class LoginTests(CliSilo silo) : IClassFixture<CliSilo>
{
    [Fact]
    public async Task Login_keeps_the_key_in_the_Secret_Service_and_in_no_file_under_home()
    {
        var home = ParleyProcess.TemporaryHome();
        await using var keyring = await SecretService.StartAsync(home);
        var cli = new ParleyProcess(home, keyring.BusAddress);

        var login = await cli.RunAsync(["login", "--server", silo.Server], silo.UserKey + "\n");

        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.Contains("the key is kept in the OS keyring", login.Output, StringComparison.Ordinal);
        Assert.Equal("", login.Error);
        // The entry is the library's: the secret base64-encoded under the profile's attributes.
        var stored = await keyring.LookupAsync("parley_profile", "default", "parley_secret", "credential");
        Assert.NotNull(stored);
        Assert.Equal(silo.UserKey, Encoding.UTF8.GetString(Convert.FromBase64String(stored)));
        AssertNoFileContains(home, silo.UserKey);
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(cli.ConfigDirectory, "config.json"))).RootElement;
        Assert.Equal("keyring", config.GetProperty("profiles").GetProperty("default").GetProperty("secret_store").GetString());
        Assert.Equal(silo.Server, config.GetProperty("profiles").GetProperty("default").GetProperty("server").GetString());

        // A later command reads the key back from the keyring.
        var models = await cli.RunAsync("models", "--json");
        Assert.True(models.ExitCode == 0, models.ToString());
        Assert.Equal(CliSilo.Model, JsonDocument.Parse(models.Output).RootElement.GetProperty("data")[0].GetProperty("id").GetString());

        var logout = await cli.RunAsync("logout");
        Assert.True(logout.ExitCode == 0, logout.ToString());
        Assert.Null(await keyring.LookupAsync("parley_profile", "default", "parley_secret", "credential"));
        var after = await cli.RunAsync("models");
        Assert.Equal(3, after.ExitCode);
        Assert.Equal("parley: error: not logged in: run `parley login --server URL` first.\n", after.Error);
        AssertNoFileContains(home, silo.UserKey);
    }

    [Fact]
    public async Task Without_a_keyring_login_refuses_unless_plaintext_is_allowed_then_writes_a_0600_file()
    {
        var cli = ParleyProcess.WithTemporaryHome(dbusAddress: null);

        var refused = await cli.RunAsync(["login", "--server", silo.Server], silo.UserKey + "\n");

        Assert.Equal(3, refused.ExitCode);
        Assert.StartsWith("parley: error: the OS keyring is not usable: ", refused.Error, StringComparison.Ordinal);
        Assert.Contains("--allow-plaintext", refused.Error, StringComparison.Ordinal);
        Assert.Equal(1, refused.Error.Count(c => c == '\n'));
        AssertNoFileContains(cli.Home, silo.UserKey);
        Assert.False(File.Exists(Path.Combine(cli.ConfigDirectory, "config.json")));

        var allowed = await cli.RunAsync(["login", "--server", silo.Server, "--allow-plaintext"], silo.UserKey + "\n");

        Assert.True(allowed.ExitCode == 0, allowed.ToString());
        Assert.Contains("parley: warning: ", allowed.Error, StringComparison.Ordinal);
        Assert.Contains("UNENCRYPTED", allowed.Error, StringComparison.Ordinal);
        var file = Path.Combine(cli.ConfigDirectory, "credentials", "default");
        Assert.Equal(silo.UserKey, File.ReadAllText(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(file)!));
        Assert.DoesNotContain(silo.UserKey, File.ReadAllText(Path.Combine(cli.ConfigDirectory, "config.json")), StringComparison.Ordinal);
        Assert.Equal(0, (await cli.RunAsync("models")).ExitCode);

        Assert.Equal(0, (await cli.RunAsync("logout")).ExitCode);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task A_refused_key_is_not_stored_and_exits_3()
    {
        var cli = ParleyProcess.WithTemporaryHome();

        var result = await cli.RunAsync(["login", "--server", silo.Server, "--allow-plaintext"], "sk-parley-not-a-real-key-000000000000\n");

        Assert.Equal(3, result.ExitCode);
        Assert.StartsWith($"parley: error: {silo.Url} refused this key: ", result.Error, StringComparison.Ordinal);
        Assert.EndsWith(" Nothing was stored.\n", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(cli.ConfigDirectory, "config.json")));
        Assert.False(Directory.Exists(Path.Combine(cli.ConfigDirectory, "credentials")));
    }

    [Fact]
    public async Task The_key_is_never_taken_from_an_argument_and_an_empty_one_is_refused()
    {
        var cli = ParleyProcess.WithTemporaryHome();

        var positional = await cli.RunAsync(["login", "--server", silo.Server, silo.UserKey], "");
        var empty = await cli.RunAsync(["login", "--server", silo.Server, "--allow-plaintext"], "\n");

        Assert.Equal(1, positional.ExitCode);
        Assert.Contains($"Unrecognized command or argument '{silo.UserKey}'", positional.Error, StringComparison.Ordinal);
        Assert.Equal(2, empty.ExitCode);
        Assert.StartsWith("parley: error: no key given", empty.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Profiles_are_named_listed_without_keys_and_chosen_with_profile()
    {
        var (_, adminUserKey) = await silo.CreateUserAsync("second-user");
        var cli = ParleyProcess.WithTemporaryHome();
        await cli.LoginAsync(silo.Server, silo.UserKey);
        await cli.LoginAsync(silo.Server, CliSilo.AdminKey, profile: "ops");
        await cli.LoginAsync(silo.Server, adminUserKey, profile: "second");

        var list = await cli.RunAsync("profiles", "--json");
        var usage = await cli.RunAsync("--profile", "second", "usage", "--json");
        var adminUsers = await cli.RunAsync("admin", "users", "list", "--json", "-p", "ops");
        var userOnAdmin = await cli.RunAsync("admin", "users", "list");
        Assert.Equal(0, (await cli.RunAsync("profiles", "use", "ops")).ExitCode);
        var afterUse = await cli.RunAsync("admin", "users", "list", "--json");

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.DoesNotContain(silo.UserKey, list.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(CliSilo.AdminKey, list.Output, StringComparison.Ordinal);
        var profiles = JsonDocument.Parse(list.Output).RootElement;
        Assert.Equal("default", profiles.GetProperty("default_profile").GetString());
        Assert.Equal(["default", "ops", "second"], profiles.GetProperty("profiles").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToArray());
        Assert.Equal(["user", "admin", "user"], profiles.GetProperty("profiles").EnumerateArray().Select(p => p.GetProperty("role").GetString()!).ToArray());
        Assert.Equal("…" + silo.UserKey[^4..], profiles.GetProperty("profiles")[0].GetProperty("key_hint").GetString());
        Assert.True(usage.ExitCode == 0, usage.ToString());
        Assert.NotEqual(silo.UserId, JsonDocument.Parse(usage.Output).RootElement.GetProperty("user_id").GetString());
        Assert.True(adminUsers.ExitCode == 0, adminUsers.ToString());
        Assert.Contains(JsonDocument.Parse(adminUsers.Output).RootElement.GetProperty("data").EnumerateArray(), u => u.GetProperty("id").GetString() == silo.UserId);
        Assert.Equal(3, userOnAdmin.ExitCode);
        Assert.Contains("(HTTP 403", userOnAdmin.Error, StringComparison.Ordinal);
        Assert.Equal(0, afterUse.ExitCode);
    }

    /// <summary>No file under <paramref name="home"/> holds the secret, as text or base64.</summary>
    private static void AssertNoFileContains(string home, string secret)
    {
        var needles = new[] { Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes(secret))) };
        var files = Directory.EnumerateFiles(home, "*", SearchOption.AllDirectories).ToList();
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            foreach (var needle in needles)
            {
                Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"{file} contains the secret");
            }
        }
    }
}
