using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.ServiceDefaults.Logging;
using Parley.Testing.Logs;
using Xunit;

namespace Parley.Silo.Tests.Logging;

/// <summary>The pieces of log redaction one by one, on a bare host with <see cref="LogRedactionExtensions"/>: what
/// each data class becomes, the key's validation, the floors on framework categories, exceptions' messages.</summary>
public sealed partial class LogRedactionTests
{
    private static readonly string KeyA = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private static readonly string KeyB = Convert.ToBase64String(Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());

    [Fact]
    public void Each_data_class_becomes_what_the_taxonomy_says()
    {
        var line = LogOnce(KeyA, keyId: 7, logger => LogClassified(logger, "sk-parley-secretvalue", "the prompt text", "user_123", "ada@example.com", "conv_1"));

        Assert.DoesNotContain("sk-parley-secretvalue", line, StringComparison.Ordinal);
        Assert.DoesNotContain("the prompt text", line, StringComparison.Ordinal);
        Assert.DoesNotContain("user_123", line, StringComparison.Ordinal);
        Assert.DoesNotContain("ada@example.com", line, StringComparison.Ordinal);
        // Erased: nothing in its place. HMAC: the key id and a hash. Unclassified: as given.
        Assert.Contains("secret=[] content=[]", line, StringComparison.Ordinal);
        Assert.Matches(@"user=\[7:[A-Za-z0-9+/]{22}==\] mail=\[7:[A-Za-z0-9+/]{22}==\]", line);
        Assert.Contains("conversation=[conv_1]", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pseudonym_is_stable_under_one_key_whatever_the_parameter_and_differs_under_another()
    {
        static string Pseudonym(string line) => System.Text.RegularExpressions.Regex.Match(line, @"user=\[([^\]]*)\]").Groups[1].Value;
        var first = Pseudonym(LogOnce(KeyA, keyId: null, logger => LogClassified(logger, "", "", "user_123", "", "")));
        var again = Pseudonym(LogOnce(KeyA, keyId: null, logger => LogClassified(logger, "", "", "user_123", "", "")));
        var other = Pseudonym(LogOnce(KeyA, keyId: null, logger => LogClassified(logger, "", "", "user_124", "", "")));
        var otherKey = Pseudonym(LogOnce(KeyB, keyId: null, logger => LogClassified(logger, "", "", "user_123", "", "")));

        var underAnotherName = System.Text.RegularExpressions.Regex.Match(
            LogOnce(KeyA, keyId: null, logger => LogCredential(logger, "user_123")), @"credential=\[([^\]]*)\]").Groups[1].Value;

        Assert.Equal(24, first.Length);
        Assert.Equal(first, underAnotherName);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.NotEqual(first, otherKey);
    }

    [Fact]
    public void Without_a_configured_key_pseudonyms_still_hide_the_id()
    {
        var line = LogOnce(key: null, keyId: null, logger => LogClassified(logger, "", "", "user_123", "", ""));
        Assert.DoesNotContain("user_123", line, StringComparison.Ordinal);
        Assert.Matches(@"user=\[[A-Za-z0-9+/]{22}==\]", line);
    }

    [Theory]
    [InlineData("not base64!", "Parley:Logging:IdHmacKey must be base64.")]
    [InlineData("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==", "Parley:Logging:IdHmacKey must be at least 32 bytes (44 base64 characters); it has 28.")]
    public void A_bad_key_stops_the_host_with_the_reason(string key, string message)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Parley:Logging:IdHmacKey"] = key });

        var error = Assert.Throws<OptionsValidationException>(() => builder.AddParleyLogRedaction());
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Framework_categories_that_quote_requests_stay_quiet_whatever_the_configuration_says()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace",
            // A rule for one provider, and a longer category under a floor, must not get round it either.
            ["Logging:Recording:LogLevel:Microsoft"] = "Trace",
            ["Logging:Recording:LogLevel:Microsoft.AspNetCore.Server.Kestrel.BadRequests"] = "Trace",
            ["Logging:LogLevel:Yarp.ReverseProxy.Forwarder.HttpForwarder"] = "Debug",
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new RecordingLogs());
        builder.AddParleyLogRedaction();
        using var services = builder.Services.BuildServiceProvider();
        var factory = services.GetRequiredService<ILoggerFactory>();

        Assert.False(factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.BadRequests").IsEnabled(LogLevel.Debug));
        Assert.True(factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.BadRequests").IsEnabled(LogLevel.Information));
        Assert.False(factory.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Information));
        Assert.True(factory.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Warning));
        Assert.False(factory.CreateLogger("Yarp.ReverseProxy.Forwarder.HttpForwarder").IsEnabled(LogLevel.Information));
        Assert.False(factory.CreateLogger("Microsoft.AspNetCore.HttpLogging.HttpLoggingMiddleware").IsEnabled(LogLevel.Critical));
        // Everything else keeps the configured level.
        Assert.True(factory.CreateLogger("Microsoft.AspNetCore.Routing.EndpointMiddleware").IsEnabled(LogLevel.Trace));
        Assert.True(factory.CreateLogger("Parley.Silo.Chat").IsEnabled(LogLevel.Trace));
    }

    [Fact]
    public void A_redacted_exception_keeps_type_stack_and_chain_and_withholds_messages_that_may_quote_input()
    {
        Exception original;
        try
        {
            try
            {
                JsonDocument.Parse("{\"PLYCANARYbody\": nope}");
                throw new InvalidOperationException("unreachable");
            }
            catch (JsonException parse)
            {
                throw new InvalidOperationException("Could not read PLYCANARYwrapper", parse);
            }
        }
        catch (InvalidOperationException e)
        {
            original = e;
        }

        var redacted = RedactedException.Of(original);
        var text = redacted.ToString();

        Assert.DoesNotContain("PLYCANARY", text, StringComparison.Ordinal);
        Assert.Matches(@"^System\.InvalidOperationException: \(message withheld: it may quote input\) ---> System\.Text\.Json\.Json\w*Exception: \(message withheld", text);
        Assert.Contains(nameof(A_redacted_exception_keeps_type_stack_and_chain_and_withholds_messages_that_may_quote_input), text, StringComparison.Ordinal);
        Assert.Equal(original.StackTrace, redacted.StackTrace);
        Assert.Same(redacted, RedactedException.Of(redacted));
        Assert.Null(RedactedException.Of(null));
        // Messages about Parley's own state are kept.
        Assert.Equal("The operation has timed out.", RedactedException.Of(new TimeoutException("The operation has timed out.")).Message);
    }

    private static string LogOnce(string? key, int? keyId, Action<ILogger> log)
    {
        var builder = WebApplication.CreateSlimBuilder();
        var settings = new Dictionary<string, string?>();
        if (key is not null)
        {
            settings["Parley:Logging:IdHmacKey"] = key;
        }
        if (keyId is not null)
        {
            settings["Parley:Logging:IdHmacKeyId"] = keyId.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        builder.Configuration.AddInMemoryCollection(settings);
        var logs = new RecordingLogs();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.AddParleyLogRedaction();
        using (var services = builder.Services.BuildServiceProvider())
        {
            log(services.GetRequiredService<ILoggerFactory>().CreateLogger("Parley.Tests"));
        }
        return Assert.Single(logs.Lines);
    }

    [LoggerMessage(2, LogLevel.Information, "credential=[{Credential}]")]
    private static partial void LogCredential(ILogger logger, [PseudonymousId] string credential);

    [LoggerMessage(1, LogLevel.Information, "secret=[{Secret}] content=[{Content}] user=[{User}] mail=[{Mail}] conversation=[{Conversation}]")]
    private static partial void LogClassified(ILogger logger, [SecretData] string secret, [UserContent] string content, [PseudonymousId] string user,
        [PersonalData] string mail, string conversation);
}
