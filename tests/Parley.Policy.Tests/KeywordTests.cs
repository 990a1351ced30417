using Parley.Policy.Detection;
using Parley.Policy.Keywords;

namespace Parley.Policy.Tests;

public sealed class KeywordTests
{
    private static List<(string Text, int Tag)> Find(KeywordMatcher matcher, string text)
    {
        var found = new List<(int Start, int Length, int Tag)>();
        matcher.Find(text, found);
        return found.Select(f => (text.Substring(f.Start, f.Length), f.Tag)).ToList();
    }

    [Fact]
    public void Keywords_match_ignoring_case_and_full_width_forms_and_positions_map_back_to_the_original()
    {
        var matcher = new KeywordMatcher([("Project Falcon", 0), ("机密", 1)]);
        const string Text = "关于ＰＲＯＪＥＣＴ　ｆａｌｃｏｎ的机密文件, and project FALCON too";
        Assert.Equal([("ＰＲＯＪＥＣＴ　ｆａｌｃｏｎ", 0), ("机密", 1), ("project FALCON", 0)], Find(matcher, Text));
    }

    [Fact]
    public void Full_width_keywords_match_ascii_text()
        => Assert.Equal([("secret", 0)], Find(new KeywordMatcher([("ＳＥＣＲＥＴ", 0)]), "top secret!"));

    [Fact]
    public void Ascii_keywords_match_whole_words_only_and_chinese_ones_anywhere()
    {
        var matcher = new KeywordMatcher([("ass", 0), ("内部", 1)]);
        Assert.Empty(Find(matcher, "a class of bass"));
        Assert.Equal([("ass", 0), ("内部", 1)], Find(matcher, "ass 公司内部资料"));
    }

    [Fact]
    public void The_longest_keyword_at_a_position_wins()
        => Assert.Equal([("alpha beta", 1)], Find(new KeywordMatcher([("alpha", 0), ("alpha beta", 1)]), "x alpha beta y"));

    [Fact]
    public void Ascii_chinese_and_other_cased_keywords_are_searched_apart_and_found_left_to_right_longest_first()
    {
        // Three searches (ASCII ignoring case, Chinese ordinally, other cased letters ignoring case) joined as one.
        var matcher = new KeywordMatcher([("Falcon", 0), ("猎鹰", 1), ("Секрет", 2), ("Falcon猎鹰", 3), ("Ärger", 4)]);
        const string Text = "секрет 猎鹰 FALCON猎鹰 falcon ärger СЕКРЕТ猎鹰";
        Assert.Equal([("секрет", 2), ("猎鹰", 1), ("FALCON猎鹰", 3), ("falcon", 0), ("ärger", 4), ("СЕКРЕТ", 2), ("猎鹰", 1)], Find(matcher, Text));
    }

    [Fact]
    public void Prefixes_of_keywords_are_known_for_streams()
    {
        var matcher = new KeywordMatcher([("Project Falcon", 0)]);
        Assert.True(matcher.IsPrefixOfAny("proj"));
        Assert.True(matcher.IsPrefixOfAny("ＰＲＯＪＥＣＴ "));
        Assert.False(matcher.IsPrefixOfAny("falcon"));
        Assert.False(matcher.IsPrefixOfAny("Project Falcon"));
    }

    [Fact]
    public void A_prefix_that_cannot_match_where_it_stands_is_not_held()
    {
        // An ASCII keyword matches only after a character that is no ASCII letter or digit (so not inside "subproject");
        // a Chinese one anywhere.
        var matcher = new KeywordMatcher([("Project Falcon", 0), ("猎鹰计划", 1)]);
        Assert.True(matcher.IsPrefixOfAny("proj", before: ' '));
        Assert.True(matcher.IsPrefixOfAny("proj", before: '猎'));
        Assert.False(matcher.IsPrefixOfAny("proj", before: 'b'));
        Assert.False(matcher.IsPrefixOfAny("proj", before: 'ｂ'));
        Assert.True(matcher.IsPrefixOfAny("猎鹰", before: 'b'));
        Assert.False(matcher.IsPrefixOfAny("鹰计", before: ' '));
    }

    [Fact]
    public void Width_folding_keeps_every_position()
    {
        const string Text = "ＡＢＣ　１２３abc";
        Assert.True(TextFold.NeedsFolding(Text));
        Assert.Equal("ABC 123abc", TextFold.Fold(Text));
        Assert.False(TextFold.NeedsFolding("plain 中文"));
    }
}
