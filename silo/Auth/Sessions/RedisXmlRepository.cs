using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Parley.Grains.Redis;
using StackExchange.Redis;

namespace Parley.Silo.Auth.Sessions;

/// <summary>ASP.NET Core's data protection key ring in Redis (a list of key XML elements under
/// <c>{prefix:data-protection}:keys</c>), so that a session cookie or a sign-in form made by one silo is read by every
/// other: the operators' Service balances a browser's requests over all silos. The keys are stored as ASP.NET Core
/// writes them, unencrypted, like every other secret Parley keeps in Redis; Redis must stay private.</summary>
internal sealed class RedisXmlRepository(IRedisConnection connection) : IXmlRepository
{
    private readonly RedisKey _key = connection.Key(DataProtectionKeys.HashTag, "keys");

    // The interface is synchronous; ASP.NET Core calls it when it (re)loads the key ring (at start, then about daily).
    public IReadOnlyCollection<XElement> GetAllElements()
        => Database().ListRange(_key).Select(static value => XElement.Parse(value.ToString())).ToList();

    public void StoreElement(XElement element, string friendlyName)
        => Database().ListRightPush(_key, element.ToString(SaveOptions.DisableFormatting));

    private IDatabase Database() => connection.GetMultiplexerAsync().AsTask().GetAwaiter().GetResult().GetDatabase();
}
