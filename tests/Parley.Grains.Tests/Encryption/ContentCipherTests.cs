using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Parley.Grains.Encryption;
using Xunit;

namespace Parley.Grains.Tests.Encryption;

public sealed class ContentCipherTests
{
    private static readonly byte[] KeyOne = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] KeyTwo = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] Message = Encoding.UTF8.GetBytes("""{"role":"user","content":"the canary 金丝雀 sings"}""");

    private static ContentCipher Cipher(string active, params (string Id, byte[] Key)[] keys)
        => new(new ContentKeyRing(keys.ToDictionary(k => k.Id, k => k.Key), active));

    [Fact]
    public void A_value_round_trips_in_an_envelope_naming_its_key_with_a_fresh_nonce_each_time()
    {
        using var cipher = Cipher("k1", ("k1", KeyOne));
        var first = cipher.Protect(Message, "transcript/conv_1");
        var second = cipher.Protect(Message, "transcript/conv_1");

        // Format byte, key id length, key id, 12-byte nonce, 16-byte tag, ciphertext as long as the plaintext.
        Assert.Equal(ContentCipher.Format, first[0]);
        Assert.Equal(2, first[1]);
        Assert.Equal("k1"u8.ToArray(), first[2..4]);
        Assert.Equal(4 + 12 + 16 + Message.Length, first.Length);
        Assert.Equal(first.Length, cipher.ProtectedSize(Message.Length));
        Assert.Equal("k1", ContentCipher.KeyIdOf(first));
        Assert.NotEqual(first[4..16], second[4..16]);
        Assert.NotEqual(first[32..], second[32..]);
        Assert.Equal(-1, first.AsSpan().IndexOf("canary"u8));
        Assert.Equal(Message, cipher.Unprotect(first, "transcript/conv_1"));
        Assert.Equal(Message, cipher.Unprotect(second, "transcript/conv_1"));
    }

    [Fact]
    public void A_value_read_at_another_place_fails_authentication()
    {
        using var cipher = Cipher("k1", ("k1", KeyOne));
        var stored = cipher.Protect(Message, "transcript/conv_1");

        var error = Assert.Throws<StoredDataUnreadableException>(() => cipher.Unprotect(stored, "transcript/conv_2"));
        Assert.Equal("The value stored at 'transcript/conv_2' failed authentication with key 'k1': it was altered, moved from another place, or written with a different key of that id.", error.Message);
    }

    [Fact]
    public void Flipping_any_single_bit_of_an_envelope_is_refused()
    {
        using var cipher = Cipher("k1", ("k1", KeyOne));
        var stored = cipher.Protect(Message, "cache/abc");
        for (var i = 0; i < stored.Length; i++)
        {
            for (var bit = 0; bit < 8; bit++)
            {
                var altered = stored.ToArray();
                altered[i] ^= (byte)(1 << bit);
                Assert.Throws<StoredDataUnreadableException>(() => cipher.Unprotect(altered, "cache/abc"));
            }
        }
        Assert.Equal(Message, cipher.Unprotect(stored, "cache/abc"));
    }

    [Fact]
    public void Truncated_envelopes_are_refused_by_name()
    {
        using var cipher = Cipher("k1", ("k1", KeyOne));
        var stored = cipher.Protect(Message, "p");
        foreach (var length in new[] { 1, 2, 3, 4, 16, 31 })
        {
            var error = Assert.Throws<StoredDataUnreadableException>(() => cipher.Unprotect(stored[..length], "p"));
            Assert.Equal("The value stored at 'p' is a truncated or malformed envelope.", error.Message);
        }
        // Cut inside the ciphertext: the tag no longer matches.
        Assert.Throws<StoredDataUnreadableException>(() => cipher.Unprotect(stored[..^1], "p"));
    }

    [Fact]
    public void After_rotation_new_values_use_the_new_key_and_old_ones_still_read()
    {
        using var before = Cipher("k1", ("k1", KeyOne));
        var old = before.Protect(Message, "state/conversation/conv_1");
        using var after = Cipher("k2", ("k1", KeyOne), ("k2", KeyTwo));

        var fresh = after.Protect(Message, "state/conversation/conv_1");

        Assert.Equal("k2", ContentCipher.KeyIdOf(fresh));
        Assert.Equal(Message, after.Unprotect(old, "state/conversation/conv_1"));
        Assert.Equal(Message, after.Unprotect(fresh, "state/conversation/conv_1"));
        // A silo not yet given the new key cannot read what the new key wrote: add keys everywhere before switching.
        var error = Assert.Throws<StoredDataUnreadableException>(() => before.Unprotect(fresh, "state/conversation/conv_1"));
        Assert.Equal("The value stored at 'state/conversation/conv_1' was encrypted with key id 'k2', which is not in Parley:Encryption:Keys; add that key to every silo.", error.Message);
    }

    [Fact]
    public void A_different_key_under_the_same_id_fails_authentication()
    {
        using var writer = Cipher("k1", ("k1", KeyOne));
        using var reader = Cipher("k1", ("k1", KeyTwo));
        Assert.Throws<StoredDataUnreadableException>(() => reader.Unprotect(writer.Protect(Message, "p"), "p"));
    }

    [Fact]
    public void Values_in_clear_are_refused_unless_unencrypted_reads_are_allowed()
    {
        using var strict = Cipher("k1", ("k1", KeyOne));
        var error = Assert.Throws<StoredDataUnreadableException>(() => strict.Unprotect(Message, "file/f1/0"));
        Assert.Equal("The value stored at 'file/f1/0' is not encrypted, and Parley:Encryption:AllowUnencryptedReads is off.", error.Message);

        using var migrating = new ContentCipher(new ContentKeyRing(new Dictionary<string, byte[]> { ["k1"] = KeyOne }, "k1"), allowUnencryptedReads: true);
        Assert.Equal(Message, migrating.Unprotect(Message, "file/f1/0"));
        Assert.True(ContentCipher.IsEnvelope(migrating.Protect(Message, "file/f1/0")));
    }

    [Fact]
    public void Open_hands_a_value_in_clear_back_uncopied_and_otherwise_reads_as_Unprotect_does()
    {
        using var off = ContentCipher.Disabled();
        using var on = Cipher("k1", ("k1", KeyOne));
        var sealedValue = on.Protect(Message, "transcript/conv_1");

        // The very bytes it was given: a transcript read on an unencrypted store decodes them without a copy.
        Assert.True(MemoryMarshal.TryGetArray(off.Open(Message, "transcript/conv_1"), out var segment));
        Assert.Same(Message, segment.Array);
        Assert.Equal(Message, on.Open(sealedValue, "transcript/conv_1").ToArray());
        Assert.Throws<StoredDataUnreadableException>(() => on.Open(sealedValue, "transcript/conv_2"));
        var error = Assert.Throws<StoredDataUnreadableException>(() => on.Open(Message, "transcript/conv_1"));
        Assert.Equal("The value stored at 'transcript/conv_1' is not encrypted, and Parley:Encryption:AllowUnencryptedReads is off.", error.Message);
        Assert.Throws<StoredDataUnreadableException>(() => off.Open(sealedValue, "transcript/conv_1"));
    }

    [Fact]
    public void Without_keys_values_are_written_in_clear_and_envelopes_are_refused()
    {
        using var off = ContentCipher.Disabled();
        using var on = Cipher("k1", ("k1", KeyOne));
        Assert.False(off.Enabled);
        Assert.Equal(Message, off.Protect(Message, "p"));
        Assert.Equal(Message, off.Unprotect(Message, "p"));
        var error = Assert.Throws<StoredDataUnreadableException>(() => off.Unprotect(on.Protect(Message, "p"), "p"));
        Assert.Contains("key id 'k1', which is not in Parley:Encryption:Keys", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_values_and_long_places_round_trip()
    {
        using var cipher = Cipher("k1", ("k1", KeyOne));
        var longPlace = "file/" + new string('x', 2_000) + "/0";
        Assert.Empty(cipher.Unprotect(cipher.Protect([], "p"), "p"));
        Assert.Equal(Message, cipher.Unprotect(cipher.Protect(Message, longPlace), longPlace));
        Assert.Throws<StoredDataUnreadableException>(() => cipher.Unprotect(cipher.Protect(Message, longPlace), longPlace + "1"));
    }

    [Fact]
    public async Task Concurrent_use_from_many_threads_round_trips()
    {
        using var cipher = Cipher("k1", ("k1", KeyOne));
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 2_000; i++)
            {
                var place = $"transcript/conv_{t}_{i}";
                Assert.Equal(Message, cipher.Unprotect(cipher.Protect(Message, place), place));
            }
        })));
    }

    [Fact]
    public void The_options_validator_names_each_problem_and_never_a_key()
    {
        var validator = new EncryptionOptionsValidator();
        var secret = Convert.ToBase64String(KeyOne);
        Assert.True(validator.Validate(null, new EncryptionOptions()).Succeeded);
        Assert.True(validator.Validate(null, new EncryptionOptions { Keys = { ["k1"] = secret }, ActiveKeyId = "k1" }).Succeeded);

        var failures = validator.Validate(null, new EncryptionOptions
        {
            Keys = { ["ok"] = secret, ["short"] = Convert.ToBase64String(new byte[16]), ["bad id!"] = secret, ["junk"] = "not base64" },
            ActiveKeyId = "missing",
        }).Failures!.ToList();
        Assert.Equal(
        [
            "Parley:Encryption:Keys:short must be the base64 of exactly 32 random bytes (a 256-bit AES key), e.g. from `openssl rand -base64 32`.",
            "Parley:Encryption:Keys:bad id!: a key id is 1–32 characters of A–Z, a–z, 0–9, '.', '_' or '-'.",
            "Parley:Encryption:Keys:junk must be the base64 of exactly 32 random bytes (a 256-bit AES key), e.g. from `openssl rand -base64 32`.",
            "Parley:Encryption:ActiveKeyId 'missing' is not one of Parley:Encryption:Keys (bad id!, junk, ok, short).",
        ], failures);
        Assert.DoesNotContain(failures, f => f.Contains(secret, StringComparison.Ordinal));
        Assert.Equal(["Parley:Encryption:ActiveKeyId is required when Parley:Encryption:Keys has keys (one of: ok)."],
            validator.Validate(null, new EncryptionOptions { Keys = { ["ok"] = secret } }).Failures);
        Assert.Equal(["Parley:Encryption:ActiveKeyId is 'k1' but Parley:Encryption:Keys is empty."],
            validator.Validate(null, new EncryptionOptions { ActiveKeyId = "k1" }).Failures);
    }

    [Fact]
    public void Without_configured_keys_the_embedded_silo_gets_a_random_key_and_a_silo_on_Redis_runs_without_encryption()
    {
        using var embedded = EncryptionServiceCollectionExtensions.Create(new EncryptionOptions(), embedded: true, NullLogger.Instance);
        using var otherProcess = EncryptionServiceCollectionExtensions.Create(new EncryptionOptions(), embedded: true, NullLogger.Instance);
        using var onRedis = EncryptionServiceCollectionExtensions.Create(new EncryptionOptions(), embedded: false, NullLogger.Instance);

        Assert.Equal("ephemeral", embedded.ActiveKeyId);
        Assert.Equal(Message, embedded.Unprotect(embedded.Protect(Message, "p"), "p"));
        Assert.Throws<StoredDataUnreadableException>(() => otherProcess.Unprotect(embedded.Protect(Message, "p"), "p"));
        Assert.False(onRedis.Enabled);
        Assert.Throws<OptionsValidationException>(() => EncryptionServiceCollectionExtensions.Create(
            new EncryptionOptions { Keys = { ["k1"] = "nope" }, ActiveKeyId = "k1" }, embedded: false, NullLogger.Instance));
    }
}
