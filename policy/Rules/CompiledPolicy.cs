using Parley.Policy.Detection;
using Parley.Policy.Keywords;

namespace Parley.Policy.Rules;

/// <summary>A policy ready to scan: one <see cref="PiiScanner"/> and one <see cref="KeywordMatcher"/> per direction,
/// built for exactly the detectors and keywords its rules use. Where two rules find the same kind of value, the
/// stricter action wins. Immutable and thread-safe.</summary>
public sealed class CompiledPolicy
{
    private readonly Side _input;
    private readonly Side _output;

    public CompiledPolicy(string name, IReadOnlyList<PolicyRule> rules, int maxBirthYear)
    {
        Name = name;
        Rules = rules;
        _input = new Side(rules, PolicyDirection.Input, maxBirthYear);
        _output = new Side(rules, PolicyDirection.Output, maxBirthYear);
    }

    public string Name { get; }

    public IReadOnlyList<PolicyRule> Rules { get; }

    /// <summary>Some rule acts on the request.</summary>
    public bool HasInput => _input.Active;

    /// <summary>Some rule acts on the reply.</summary>
    public bool HasOutput => _output.Active;

    /// <summary>The output side's keyword list (null when none): a stream holds back a tail that may begin a keyword.</summary>
    public KeywordMatcher? OutputKeywords => _output.Keywords;

    /// <summary>Both policies' rules (the identity's and the model's): each value gets the stricter of the two actions.</summary>
    public static CompiledPolicy Union(CompiledPolicy first, CompiledPolicy second, int maxBirthYear)
        => new(first.Name + "+" + second.Name, [.. first.Rules, .. second.Rules], maxBirthYear);

    /// <summary>Appends every match of a rule with an action in <paramref name="direction"/>, left to right; matches of
    /// different rules may overlap (see <see cref="Merge"/>).</summary>
    public void Scan(ReadOnlySpan<char> text, PolicyDirection direction, List<RuleMatch> matches, bool final = true)
        => (direction == PolicyDirection.Input ? _input : _output).Scan(text, matches, final);

    /// <summary>Sorts matches and joins overlapping ones into one span carrying the strictest action (and its rule).</summary>
    public static void Merge(List<RuleMatch> matches)
    {
        if (matches.Count < 2)
        {
            return;
        }
        matches.Sort(static (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : b.Length.CompareTo(a.Length));
        var kept = 0;
        for (var i = 1; i < matches.Count; i++)
        {
            var last = matches[kept];
            var next = matches[i];
            if (next.Start < last.End)
            {
                var end = Math.Max(last.End, next.End);
                var strict = next.Action > last.Action ? next : last;
                matches[kept] = strict with { Start = last.Start, Length = end - last.Start, Open = last.Open || next.Open };
            }
            else
            {
                matches[++kept] = next;
            }
        }
        matches.RemoveRange(kept + 1, matches.Count - kept - 1);
    }

    private sealed class Side
    {
        private readonly PiiScanner? _scanner;
        private readonly PolicyRule?[] _ruleByKind = new PolicyRule?[(int)DetectorKind.PrivateKey + 1];
        private readonly PolicyRule[] _keywordRules = [];
        private readonly PolicyDirection _direction;

        [ThreadStatic]
        private static List<Finding>? t_findings;

        [ThreadStatic]
        private static List<(int Start, int Length, int Tag)>? t_keywords;

        public Side(IReadOnlyList<PolicyRule> rules, PolicyDirection direction, int maxBirthYear)
        {
            _direction = direction;
            var detectors = DetectorSet.None;
            var keywords = new List<(string, int)>();
            var keywordRules = new List<PolicyRule>();
            // Strictest first, so a keyword listed by two rules keeps the stricter one.
            foreach (var rule in rules.Where(r => r.ActionFor(direction) != PolicyAction.None).OrderByDescending(r => r.ActionFor(direction)))
            {
                if (rule.Detector is { } kind)
                {
                    detectors |= kind.ToSet();
                    _ruleByKind[(int)kind] ??= rule;
                }
                else if (rule.Keywords.Count > 0)
                {
                    keywordRules.Add(rule);
                    keywords.AddRange(rule.Keywords.Select(k => (k, keywordRules.Count - 1)));
                }
            }
            _keywordRules = [.. keywordRules];
            if (detectors != DetectorSet.None)
            {
                _scanner = new PiiScanner(detectors, maxBirthYear);
            }
            if (keywords.Count > 0)
            {
                Keywords = new KeywordMatcher(keywords);
            }
            Active = _scanner is not null || Keywords is not null;
        }

        public bool Active { get; }

        public KeywordMatcher? Keywords { get; }

        public void Scan(ReadOnlySpan<char> text, List<RuleMatch> matches, bool final)
        {
            if (_scanner is not null)
            {
                var findings = t_findings ??= [];
                findings.Clear();
                _scanner.Scan(text, findings, final);
                foreach (var finding in findings)
                {
                    var rule = _ruleByKind[(int)finding.Kind]!;
                    matches.Add(new RuleMatch(finding.Start, finding.Length, rule, rule.ActionFor(_direction), finding.Open));
                }
            }
            if (Keywords is not null)
            {
                var found = t_keywords ??= [];
                found.Clear();
                Keywords.Find(text, found);
                foreach (var (start, length, tag) in found)
                {
                    var rule = _keywordRules[tag];
                    matches.Add(new RuleMatch(start, length, rule, rule.ActionFor(_direction)));
                }
            }
        }
    }
}
