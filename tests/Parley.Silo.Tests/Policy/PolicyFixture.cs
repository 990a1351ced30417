using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;

namespace Parley.Silo.Tests.Policy;

/// <summary>A silo with three policies: <c>bank</c> (the default: pseudonymise e-mails and phones, mask cards and
/// resident ids, block secrets and a code name, flag IPv4), <c>lenient</c> (flag e-mails on the way up, mask them in
/// the reply, withhold replies naming a code name) and <c>model-extra</c> (for <see cref="SiloHarness.OtherModel"/>:
/// mask "confidential"). The simulator echoes the last user message whole (300-token answers, one token per chunk).</summary>
public sealed class PolicyFixture : SiloFixture
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Parley:Policy:Default"] = "bank";
        settings[$"Parley:Policy:Models:{SiloHarness.OtherModel}"] = "model-extra";
        Rule(settings, "bank", 0, "email", "Email", "Pseudonymize", "Mask");
        Rule(settings, "bank", 1, "phone", "ChinaMobile", "Pseudonymize");
        Rule(settings, "bank", 2, "card", "BankCard", "Mask");
        settings["Parley:Policy:Policies:bank:Rules:2:Mask"] = "Partial";
        Rule(settings, "bank", 3, "cn-id", "ChineseResidentId", "Mask");
        Rule(settings, "bank", 4, "api-key", "ApiKey", "Block");
        Rule(settings, "bank", 5, "aws-key", "AwsAccessKeyId", "Block");
        Rule(settings, "bank", 6, "private-key", "PrivateKey", "Block", "Mask");
        Rule(settings, "bank", 7, "ip", "IPv4", "Flag");
        settings["Parley:Policy:Policies:bank:Rules:8:Id"] = "codename";
        settings["Parley:Policy:Policies:bank:Rules:8:Keywords:0"] = "Project Falcon";
        settings["Parley:Policy:Policies:bank:Rules:8:Keywords:1"] = "猎鹰计划";
        settings["Parley:Policy:Policies:bank:Rules:8:Action"] = "Block";
        Rule(settings, "lenient", 0, "email-seen", "Email", "Flag", "Mask");
        settings["Parley:Policy:Policies:lenient:Rules:1:Id"] = "codename-out";
        settings["Parley:Policy:Policies:lenient:Rules:1:Keywords:0"] = "Project Falcon";
        settings["Parley:Policy:Policies:lenient:Rules:1:Action"] = "Flag";
        settings["Parley:Policy:Policies:lenient:Rules:1:OutputAction"] = "Block";
        settings["Parley:Policy:Policies:model-extra:Rules:0:Id"] = "confidential";
        settings["Parley:Policy:Policies:model-extra:Rules:0:Keywords:0"] = "confidential";
        settings["Parley:Policy:Policies:model-extra:Rules:0:Action"] = "Mask";
        settings["Parley:Policy:Policies:model-extra:Rules:0:Label"] = "CONFIDENTIAL";
    }

    protected override void ConfigureSimulator(Sim.Hosting.SimulatorOptions options) => options.ResponseTokens = 300;

    private static void Rule(IDictionary<string, string?> settings, string policy, int index, string id, string detector, string action, string? output = null)
    {
        var prefix = $"Parley:Policy:Policies:{policy}:Rules:{index}:";
        settings[prefix + "Id"] = id;
        settings[prefix + "Detector"] = detector;
        settings[prefix + "Action"] = action;
        if (output is not null)
        {
            settings[prefix + "OutputAction"] = output;
        }
    }
}

/// <summary>Requests and answers of the policy tests.</summary>
internal static class PolicyCalls
{
    public static string Body(string content, bool stream = false, string model = SiloHarness.Model, string extra = "")
        => JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = model,
            ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = content } },
            ["stream"] = stream,
        })[..^1] + extra + "}";

    /// <summary>The reply's text: choices[0].message.content, or the streamed deltas joined.</summary>
    public static async Task<string> ReplyTextAsync(HttpResponseMessage response, bool stream)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (!stream)
        {
            return JsonDocument.Parse(text).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        }
        var reply = new StringBuilder();
        foreach (var data in Http.DataEvents(text))
        {
            if (data == "[DONE]")
            {
                continue;
            }
            foreach (var choice in JsonDocument.Parse(data).RootElement.GetProperty("choices").EnumerateArray())
            {
                if (choice.TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    reply.Append(content.GetString());
                }
            }
        }
        return reply.ToString();
    }

    /// <summary>Every string in a recorded upstream body, decoded (so escaped characters cannot hide a value), and the raw body.</summary>
    public static string Decoded(string body)
    {
        var all = new StringBuilder(body);
        void Walk(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    all.Append('\n').Append(element.GetString());
                    break;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        Walk(property.Value);
                    }
                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        Walk(item);
                    }
                    break;
            }
        }
        Walk(JsonDocument.Parse(body).RootElement);
        return all.ToString();
    }

    public static async Task<string> PutPolicyAsync(HttpClient admin, string path, string? policy)
    {
        using var response = await admin.PutAsJsonAsync(path, new Dictionary<string, string?> { ["policy"] = policy });
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"PUT {path}: {(int)response.StatusCode} {text}");
        }
        return text;
    }
}
