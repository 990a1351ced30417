namespace Parley.Testing;

/// <summary>Fixed AES-256 keys for test silos (never used anywhere else), so a silo restarted by a test reads what it
/// wrote before, and every silo of a test cluster reads what the others wrote.</summary>
public static class TestEncryptionKeys
{
    public const string FirstId = "test-1";
    public const string First = "q0cR3mYtT0eBz5x1k8dF2hJ6nP9sV4wA7uE0iO3lM5Y=";
    public const string SecondId = "test-2";
    public const string Second = "Zm9yLXRlc3RzLW9ubHktbm90LWEtcmVhbC1rZXktISE=";

    /// <summary>Sets <paramref name="settings"/> (configuration keys with ':') to the first key, active.</summary>
    public static void UseFirst(IDictionary<string, string?> settings)
    {
        settings[$"Parley:Encryption:Keys:{FirstId}"] = First;
        settings["Parley:Encryption:ActiveKeyId"] = FirstId;
    }
}
