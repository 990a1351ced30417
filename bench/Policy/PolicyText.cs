using System.Text;
using Parley.Policy.Detection;
using Parley.Policy.Rules;
using Parley.Silo.Policy;

namespace Parley.Bench.Policy;

/// <summary>The benchmark's inputs: mixed Chinese/English chat text (with the numbers, dates, addresses and code a chat
/// carries, which the detectors must look at and reject) and, about once per 2 KB, a value a rule acts on; and the
/// policy a bank would run: every detector, and a keyword list of 1,000 code names in both scripts.</summary>
internal static class PolicyText
{
    private static readonly string[] s_english =
    [
        "The conversation cluster keeps every dialogue on the server, so that a chat front end only sends the newest turn. When the context grows beyond the model's window, the oldest turns are folded into a summary, and nobody notices. ",
        "On Tuesday 2026-03-14 at 09:30 the operators saw that one upstream key answered slowly: the pacing grain had lowered its rate to 3,500 requests and 90,000 tokens per minute, version 1.2.3 was rolled back, see ticket #4711. ",
        "Please review the pull request before Friday; the build on node-12 failed with exit code 137 (out of memory), and the dashboard at https://grafana.example.net/d/abc123?from=now-6h shows p99 latency of 245 ms. ",
        "var total = items.Where(i => i.Price > 10.5m).Sum(i => i.Quantity * i.Price); // 2x faster than the old loop, 16:9 ratio, ISO-8601 dates. ",
    ];

    private static readonly string[] s_chinese =
    [
        "今天早上，我们在会议室里讨论了新系统的设计方案。大家都认为，对话的上下文应该保存在服务器上，这样客户端每次只需要发送最新的一条消息。",
        "第三季度的收入同比增长了12.5%，达到人民币3,280万元；新开设的门店共有47家，其中华东地区占了一半以上。会议定于2026年4月18日下午3点举行。",
        "学习一门新的编程语言，最好的办法是动手写一个真实的小项目。遇到错误不要着急，仔细阅读错误信息，往往答案就在里面。",
        "客户反馈说，订单号20260418001的物流信息已经三天没有更新了，请售后部门尽快联系快递公司核实情况，并在24小时内给出答复。",
    ];

    /// <summary>Values the policy acts on, valid ones (checksums pass): one is inserted about every 2 KB.</summary>
    public static readonly string[] Values =
    [
        "联系人电话13800138000",
        " mail zhang.wei@example.com ",
        "身份证号11010519491231002X，",
        " card 4111 1111 1111 1111 ",
        " server 10.20.30.40 ",
        " IBAN GB82 WEST 1234 5698 7654 32 ",
        " key sk-proj-abc123DEF456ghi789JKLmno ",
        "关于猎鹰计划的进展",
    ];

    /// <summary>About <paramref name="targetUtf8Bytes"/> of mixed text, English and Chinese paragraphs in turn.</summary>
    public static string Build(int targetUtf8Bytes, bool withValues = true)
    {
        var builder = new StringBuilder(targetUtf8Bytes);
        var bytes = 0;
        var sinceValue = 0;
        var value = 0;
        for (var i = 0; bytes < targetUtf8Bytes; i++)
        {
            var paragraph = i % 2 == 0 ? s_english[i / 2 % s_english.Length] : s_chinese[i / 2 % s_chinese.Length];
            builder.Append(paragraph);
            var added = Encoding.UTF8.GetByteCount(paragraph);
            bytes += added;
            sinceValue += added;
            if (withValues && sinceValue >= 2048)
            {
                var v = Values[value++ % Values.Length];
                builder.Append(v);
                bytes += Encoding.UTF8.GetByteCount(v);
                sinceValue = 0;
            }
        }
        return builder.ToString();
    }

    /// <summary>1,000 code names: half English ("Project Falcon 17"), half Chinese ("猎鹰计划17").</summary>
    public static IReadOnlyList<string> Keywords()
    {
        string[] english = ["Falcon", "Kestrel", "Osprey", "Heron", "Condor", "Merlin", "Harrier", "Swift", "Raven", "Talon"];
        string[] chinese = ["猎鹰", "红隼", "鱼鹰", "白鹭", "秃鹫", "灰背隼", "鹞子", "雨燕", "渡鸦", "利爪"];
        var keywords = new List<string> { "Project Falcon", "猎鹰计划" };
        for (var i = 0; keywords.Count < 1000; i++)
        {
            keywords.Add(i % 2 == 0 ? $"Project {english[i / 2 % 10]} {i / 20}" : $"{chinese[i / 2 % 10]}计划{i / 20}");
        }
        return keywords;
    }

    /// <summary>What a bank would run: secrets and code names blocked, identity numbers and cards masked, contact data
    /// pseudonymised (restored in the reply), addresses flagged; the reply masks secrets, identity numbers and cards and
    /// flags the rest (a reply blocked at its first code name would end the streaming measurement).</summary>
    public static PolicyDefinitionOptions BankPolicy() => new()
    {
        Rules =
        [
            Rule("api-key", DetectorKind.ApiKey, PolicyAction.Block, PolicyAction.Mask),
            Rule("aws-key", DetectorKind.AwsAccessKeyId, PolicyAction.Block, PolicyAction.Mask),
            Rule("aws-secret", DetectorKind.AwsSecretKey, PolicyAction.Block, PolicyAction.Mask),
            Rule("private-key", DetectorKind.PrivateKey, PolicyAction.Block, PolicyAction.Mask),
            Rule("cn-id", DetectorKind.ChineseResidentId, PolicyAction.Mask, PolicyAction.Mask),
            Rule("card", DetectorKind.BankCard, PolicyAction.Mask, PolicyAction.Mask, MaskStyle.Partial),
            Rule("iban", DetectorKind.Iban, PolicyAction.Mask, PolicyAction.Mask),
            Rule("passport", DetectorKind.Passport, PolicyAction.Mask, PolicyAction.Mask),
            Rule("phone", DetectorKind.ChinaMobile, PolicyAction.Pseudonymize, PolicyAction.Flag),
            Rule("email", DetectorKind.Email, PolicyAction.Pseudonymize, PolicyAction.Flag),
            Rule("ipv4", DetectorKind.IPv4, PolicyAction.Flag, PolicyAction.Flag),
            Rule("ipv6", DetectorKind.IPv6, PolicyAction.Flag, PolicyAction.Flag),
            new PolicyRuleOptions { Id = "codename", Keywords = [.. Keywords()], Action = PolicyAction.Block, OutputAction = PolicyAction.Flag },
        ],
    };

    public static CompiledPolicy Compile(PolicyDefinitionOptions policy, int maxBirthYear)
        => new("bank", policy.Rules.Select(r => r.ToRule()).ToList(), maxBirthYear);

    private static PolicyRuleOptions Rule(string id, DetectorKind detector, PolicyAction action, PolicyAction output, MaskStyle mask = MaskStyle.Label)
        => new() { Id = id, Detector = detector, Action = action, OutputAction = output, Mask = mask };
}
