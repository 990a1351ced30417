using Parley.Policy.Detection;

namespace Parley.Policy.Tests;

public sealed class ResidentIdTests
{
    [Theory]
    [InlineData("11010519491231002X")]
    [InlineData("11010519491231002x")]
    [InlineData("440308199901010012")]
    public void Valid_ids_with_their_checksum_are_found(string id)
    {
        Assert.Equal(Validators.ResidentIdCheckChar(id.AsSpan(0, 17)), char.ToUpperInvariant(id[17]));
        Scan.Single($"身份证号{id}。", DetectorKind.ChineseResidentId, id);
        Scan.Single($"ID: {id}, thanks", DetectorKind.ChineseResidentId, id);
    }

    [Fact]
    public void A_wrong_check_character_is_not_an_id()
    {
        Assert.False(Validators.IsResidentId("110105194912310021", Scan.MaxBirthYear));
        Assert.DoesNotContain(Scan.Find("身份证110105194912310021"), f => f.Kind == DetectorKind.ChineseResidentId);
    }

    [Theory]
    [InlineData("1101051949023", "Feb 30")]
    [InlineData("1101051899123", "before 1900")]
    [InlineData("1101052030010", "in the future")]
    [InlineData("9901051949123", "unknown region")]
    public void An_implausible_birth_date_or_region_is_not_an_id(string seventeenPrefix, string why)
    {
        var body = seventeenPrefix.PadRight(17, '1')[..17];
        var id = body + Validators.ResidentIdCheckChar(body);
        Assert.False(Validators.IsResidentId(id, Scan.MaxBirthYear), why);
    }

    [Fact]
    public void Full_width_digits_and_a_grouped_id_are_found()
    {
        Scan.Single("证件：１１０１０５１９４９１２３１００２Ｘ", DetectorKind.ChineseResidentId, "１１０１０５１９４９１２３１００２Ｘ");
        Scan.Single("id 110105 19491231 002X end", DetectorKind.ChineseResidentId, "110105 19491231 002X");
    }

    [Fact]
    public void Ids_inside_longer_numbers_or_words_are_not_found()
    {
        Scan.None("order 911010519491231002X7");
        Scan.None("ref A11010519491231002X");
    }
}

public sealed class MobileTests
{
    [Theory]
    [InlineData("请拨打13800138000联系我", "13800138000")]
    [InlineData("call 19912345678.", "19912345678")]
    [InlineData("tel: +86 138 0013 8000 today", "+86 138 0013 8000")]
    [InlineData("tel +86-13800138000", "+86-13800138000")]
    [InlineData("(+86)13800138000", "(+86)13800138000")]
    [InlineData("0086 13800138000", "0086 13800138000")]
    [InlineData("+8613800138000", "+8613800138000")]
    [InlineData("138-0013-8000", "138-0013-8000")]
    [InlineData("电话：１３８００１３８０００", "１３８００１３８０００")]
    public void Mainland_mobile_numbers_are_found(string text, string number)
        => Scan.Single(text, DetectorKind.ChinaMobile, number);

    [Theory]
    [InlineData("12800138000")]
    [InlineData("1380013800")]
    [InlineData("138001380001")]
    [InlineData("A13800138000")]
    [InlineData("13800138000B")]
    [InlineData("138 0013 800")]
    public void Wrong_prefixes_lengths_and_boundaries_are_not_mobiles(string text)
        => Assert.DoesNotContain(Scan.Find(text), f => f.Kind == DetectorKind.ChinaMobile);

    [Fact]
    public void A_mobile_used_as_an_email_local_part_is_an_email()
        => Scan.Single("邮箱13800138000@qq.com。", DetectorKind.Email, "13800138000@qq.com");
}

public sealed class BankCardTests
{
    [Theory]
    [InlineData("card 4111111111111111 ok", "4111111111111111")]
    [InlineData("卡号4111 1111 1111 1111，", "4111 1111 1111 1111")]
    [InlineData("5500-0000-0000-0004", "5500-0000-0000-0004")]
    [InlineData("amex 3782 822463 10005", "3782 822463 10005")]
    [InlineData("6212 2602 0000 0000 014", "6212 2602 0000 0000 014")]
    [InlineData("４１１１１１１１１１１１１１１１", "４１１１１１１１１１１１１１１１")]
    public void Luhn_valid_numbers_of_13_to_19_digits_are_cards(string text, string card)
    {
        Assert.True(Validators.PassesLuhn(new string(card.Where(c => char.IsDigit(c)).ToArray())));
        Scan.Single(text, DetectorKind.BankCard, card);
    }

    [Theory]
    [InlineData("4111111111111112")]
    [InlineData("4111 1111 1111 1112")]
    [InlineData("411111111111")]
    [InlineData("41111111111111111111")]
    [InlineData("4111 1111-1111 1111")]
    public void Invalid_checksums_lengths_and_mixed_separators_are_not_cards(string text)
        => Assert.DoesNotContain(Scan.Find(text), f => f.Kind == DetectorKind.BankCard);

    [Fact]
    public void A_year_before_a_card_does_not_hide_it()
        => Scan.Single("in 2024 4111 1111 1111 1111 was used", DetectorKind.BankCard, "4111 1111 1111 1111");
}

public sealed class EmailTests
{
    [Theory]
    [InlineData("我的邮箱是zhang.san@example.com，谢谢", "zhang.san@example.com")]
    [InlineData("mail a.b+tag@mail.example.co.uk.", "a.b+tag@mail.example.co.uk")]
    [InlineData("<user_1@sub-domain.example.org>", "user_1@sub-domain.example.org")]
    [InlineData("ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", "ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ")]
    public void Addresses_are_found_in_mixed_text(string text, string address)
        => Scan.Single(text, DetectorKind.Email, address);

    [Theory]
    [InlineData("user@localhost")]
    [InlineData("user@example.c")]
    [InlineData("user@-example.com")]
    [InlineData("a..b@example.com")]
    [InlineData("@example.com")]
    [InlineData("twitter @handle")]
    [InlineData("user@example.123")]
    public void Malformed_addresses_are_not_found(string text)
        => Assert.DoesNotContain(Scan.Find(text), f => f.Kind == DetectorKind.Email);
}

public sealed class NetworkAddressTests
{
    [Theory]
    [InlineData("server 192.168.1.10 is up", "192.168.1.10")]
    [InlineData("地址10.0.0.1。", "10.0.0.1")]
    [InlineData("at 8.8.8.8:53", "8.8.8.8")]
    public void IPv4_addresses_are_found(string text, string address) => Scan.Single(text, DetectorKind.IPv4, address);

    [Theory]
    [InlineData("256.1.1.1")]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.5")]
    [InlineData("01.2.3.4")]
    [InlineData("pi is 3.14159")]
    public void Invalid_or_longer_dotted_numbers_are_not_IPv4(string text)
        => Assert.DoesNotContain(Scan.Find(text), f => f.Kind == DetectorKind.IPv4);

    [Theory]
    [InlineData("host 2001:db8:85a3::8a2e:370:7334 up", "2001:db8:85a3::8a2e:370:7334")]
    [InlineData("link fe80::1ff:fe23:4567:890a.", "fe80::1ff:fe23:4567:890a")]
    [InlineData("full 2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:0db8:0000:0000:0000:ff00:0042:8329")]
    [InlineData("mapped ::ffff:192.0.2.128 here", "::ffff:192.0.2.128")]
    [InlineData("地址2001:db8::1:2，", "2001:db8::1:2")]
    public void IPv6_addresses_are_parsed(string text, string address) => Scan.Single(text, DetectorKind.IPv6, address);

    [Theory]
    [InlineData("at 12:30:45")]
    [InlineData("loopback ::1")]
    [InlineData("std::vector")]
    [InlineData("mac 00:1A:2B:3C:4D:5E")]
    [InlineData("2001:db8:::1")]
    public void Times_short_forms_and_non_addresses_are_not_IPv6(string text)
        => Assert.DoesNotContain(Scan.Find(text), f => f.Kind == DetectorKind.IPv6);
}

public sealed class IbanTests
{
    [Theory]
    [InlineData("IBAN DE89370400440532013000.", "DE89370400440532013000")]
    [InlineData("pay GB82WEST12345698765432 now", "GB82WEST12345698765432")]
    [InlineData("账户 DE89 3704 0044 0532 0130 00，", "DE89 3704 0044 0532 0130 00")]
    [InlineData("FR14 2004 1010 0505 0001 3M02 606", "FR14 2004 1010 0505 0001 3M02 606")]
    public void Valid_ibans_are_found(string text, string iban) => Scan.Single(text, DetectorKind.Iban, iban);

    [Theory]
    [InlineData("DE89370400440532013001")]
    [InlineData("DE8937040044053201300")]
    [InlineData("ZZ89370400440532013000")]
    [InlineData("DE89 3704 0044 0532 0130 0")]
    public void Wrong_checksums_lengths_and_countries_are_not_ibans(string text)
        => Assert.DoesNotContain(Scan.Find(text), f => f.Kind == DetectorKind.Iban);
}

public sealed class PassportTests
{
    [Theory]
    [InlineData("护照号E12345678。", "E12345678")]
    [InlineData("passport EA1234567", "EA1234567")]
    [InlineData("G12345678", "G12345678")]
    [InlineData("Passport no. X1234567", "X1234567")]
    [InlineData("my passport number is 123456789", "123456789")]
    [InlineData("护照：AB1234567", "AB1234567")]
    public void Formats_are_found(string text, string number) => Scan.Single(text, DetectorKind.Passport, number);

    [Theory]
    [InlineData("part X1234567 in stock")]
    [InlineData("EI1234567")]
    [InlineData("E1234567")]
    [InlineData("tracking 123456789")]
    public void Other_countries_formats_need_the_word_passport(string text)
        => Assert.DoesNotContain(Scan.Find(text), f => f.Kind == DetectorKind.Passport);
}

public sealed class SecretTests
{
    [Theory]
    [InlineData("key sk-proj-abc123DEF456ghi789JKLmno end", "sk-proj-abc123DEF456ghi789JKLmno")]
    [InlineData("用这个sk-ant-api03-AbCdEf0123456789xyz调用", "sk-ant-api03-AbCdEf0123456789xyz")]
    [InlineData("Bearer sk-parley-0123456789abcdef0123", "sk-parley-0123456789abcdef0123")]
    public void Sk_keys_are_found(string text, string key) => Scan.Single(text, DetectorKind.ApiKey, key);

    [Theory]
    [InlineData("task-0123456789abcdefghijklmn")]
    [InlineData("sk-short123")]
    [InlineData("sk-learn-is-a-python-library-name")]
    public void Words_ending_in_sk_short_bodies_and_prose_are_not_keys(string text)
        => Assert.DoesNotContain(Scan.Find(text), f => f.Kind == DetectorKind.ApiKey);

    [Fact]
    public void Aws_access_key_ids_and_secret_keys_are_found()
    {
        Scan.Single("id AKIAIOSFODNN7EXAMPLE,", DetectorKind.AwsAccessKeyId, "AKIAIOSFODNN7EXAMPLE");
        Scan.Single("ASIAABCDEFGHIJKLMNOP", DetectorKind.AwsAccessKeyId, "ASIAABCDEFGHIJKLMNOP");
        Scan.Single("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", DetectorKind.AwsSecretKey,
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    }

    [Fact]
    public void Forty_character_tokens_without_context_and_lower_case_key_ids_are_not_secrets()
    {
        Assert.DoesNotContain(Scan.Find("commit wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), f => f.Kind == DetectorKind.AwsSecretKey);
        Assert.DoesNotContain(Scan.Find("aws akiaiosfodnn7example"), f => f.Kind == DetectorKind.AwsAccessKeyId);
        Assert.DoesNotContain(Scan.Find("AKIAIOSFODNN7EXAMPLEX"), f => f.Kind == DetectorKind.AwsAccessKeyId);
    }

    [Fact]
    public void Private_key_blocks_are_found_whole_or_open()
    {
        const string Block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7\n-----END RSA PRIVATE KEY-----";
        Scan.Single("key:\n" + Block + "\nthanks", DetectorKind.PrivateKey, Block);
        Scan.Single("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----", DetectorKind.PrivateKey,
            "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----");
        var cut = "x -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk";
        Assert.Equal([(DetectorKind.PrivateKey, cut[2..])], Scan.Find(cut));
        var findings = new List<Finding>();
        new PiiScanner(DetectorSet.PrivateKey, Scan.MaxBirthYear).Scan(cut, findings, final: false);
        Assert.True(Assert.Single(findings).Open);
        Scan.None("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----");
    }
}

public sealed class MixedTextTests
{
    [Fact]
    public void Every_kind_in_one_mixed_chinese_and_english_text_is_found_in_order()
    {
        const string Text = "您好，我是张三，邮箱 zhang.san@example.com，手机13800138000，身份证11010519491231002X，"
            + "card 4111 1111 1111 1111, server 10.1.2.3 and 2001:db8::8a2e:370:7334, IBAN DE89370400440532013000, "
            + "护照E12345678, key sk-proj-abc123DEF456ghi789JKLmno and AKIAIOSFODNN7EXAMPLE. 谢谢！";
        Assert.Equal(
        [
            DetectorKind.Email, DetectorKind.ChinaMobile, DetectorKind.ChineseResidentId, DetectorKind.BankCard, DetectorKind.IPv4,
            DetectorKind.IPv6, DetectorKind.Iban, DetectorKind.Passport, DetectorKind.ApiKey, DetectorKind.AwsAccessKeyId,
        ], Scan.Find(Text).Select(f => f.Kind));
    }

    [Fact]
    public void Only_enabled_detectors_report()
    {
        const string Text = "mail a@example.com phone 13800138000";
        Assert.Equal([(DetectorKind.ChinaMobile, "13800138000")], Scan.Find(Text, DetectorSet.ChinaMobile));
        Assert.Equal([(DetectorKind.Email, "a@example.com")], Scan.Find(Text, DetectorSet.Email));
    }

    [Fact]
    public void Ordinary_prose_and_numbers_find_nothing()
        => Scan.None("In 2024 we sold 1,234 units at 19.99 each; version 2.1 ships on 2025-01-15 at 10:30. 今天是2026年12月6日。");
}
