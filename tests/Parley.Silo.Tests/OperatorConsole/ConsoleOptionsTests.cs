using Microsoft.Extensions.Options;
using Parley.Silo.OperatorConsole;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.OperatorConsole;

/// <summary>Parley:Console is validated at start: a bad value stops the silo naming the setting.</summary>
public sealed class ConsoleOptionsTests
{
    [Theory]
    [InlineData("RefreshInterval", "00:00:00.100")]
    [InlineData("RefreshInterval", "00:10:00")]
    [InlineData("MaxUsers", "0")]
    [InlineData("SiloTimeout", "00:01:00")]
    [InlineData("RecentConversations", "501")]
    public async Task A_bad_value_stops_the_silo_naming_the_setting(string name, string value)
    {
        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(async () =>
        {
            await using var harness = await SiloHarness.StartAsync(s => s[$"Parley:Console:{name}"] = value);
        });
        Assert.Contains($"Parley:Console:{name}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_are_valid()
    {
        var defaults = new ConsoleOptions();
        Assert.True(new ConsoleOptionsValidator().Validate(null, defaults).Succeeded);
        Assert.True(defaults.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(2), defaults.RefreshInterval);
        Assert.Equal(200, defaults.MaxUsers);
        Assert.Equal(25, defaults.RecentConversations);
    }

    [Fact]
    public void An_upstream_key_s_fingerprint_is_the_start_of_its_SHA_256_and_a_key_without_a_secret_has_none()
    {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        Assert.Equal("ba7816bf8f01", ConsoleSnapshotReader.Fingerprint("abc"));
        Assert.Null(ConsoleSnapshotReader.Fingerprint(""));
        Assert.Null(ConsoleSnapshotReader.Fingerprint(null));
    }
}
