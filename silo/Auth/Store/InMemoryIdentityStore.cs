namespace Parley.Silo.Auth.Store;

/// <summary>The embedded identity store: lives and dies with the process (one silo, no Redis).</summary>
internal sealed class InMemoryIdentityStore : IIdentityStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, UserRecord> _users = [];
    private readonly List<string> _userOrder = [];
    private readonly Dictionary<string, ApiKeyRecord> _keys = [];
    private readonly Dictionary<string, List<string>> _keysByUser = [];
    private readonly Dictionary<string, string> _keyIdBySecretHash = [];
    private bool _bootstrapClaimed;

    public Task<bool> CreateUserAsync(UserRecord user, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_users.TryAdd(user.Id, user))
            {
                return Task.FromResult(false);
            }
            _userOrder.Add(user.Id);
            return Task.FromResult(true);
        }
    }

    public Task<UserRecord?> GetUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_users.GetValueOrDefault(userId));
        }
    }

    public Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<UserRecord>>(_userOrder.ConvertAll(id => _users[id]));
        }
    }

    public Task<UserRecord?> DisableUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_users.TryGetValue(userId, out var user))
            {
                return Task.FromResult<UserRecord?>(null);
            }
            user = user with { Disabled = true };
            _users[userId] = user;
            foreach (var keyId in _keysByUser.GetValueOrDefault(userId) ?? [])
            {
                _keys[keyId] = _keys[keyId] with { Revoked = true };
            }
            return Task.FromResult<UserRecord?>(user);
        }
    }

    public Task<CreateKeyResult> CreateKeyAsync(ApiKeyRecord key, string secretHash, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!key.IsAdmin)
            {
                if (!_users.TryGetValue(key.UserId, out var user))
                {
                    return Task.FromResult(CreateKeyResult.UserNotFound);
                }
                if (user.Disabled)
                {
                    return Task.FromResult(CreateKeyResult.UserDisabled);
                }
            }
            if (_keyIdBySecretHash.ContainsKey(secretHash) || _keys.ContainsKey(key.Id))
            {
                return Task.FromResult(CreateKeyResult.DuplicateSecret);
            }
            _keys[key.Id] = key;
            _keyIdBySecretHash[secretHash] = key.Id;
            if (!key.IsAdmin)
            {
                if (!_keysByUser.TryGetValue(key.UserId, out var list))
                {
                    _keysByUser[key.UserId] = list = [];
                }
                list.Add(key.Id);
            }
            return Task.FromResult(CreateKeyResult.Created);
        }
    }

    public Task<ApiKeyRecord?> GetKeyAsync(string keyId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_keys.GetValueOrDefault(keyId));
        }
    }

    public Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(string userId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var ids = _keysByUser.GetValueOrDefault(userId);
            return Task.FromResult<IReadOnlyList<ApiKeyRecord>>(ids is null ? [] : ids.ConvertAll(id => _keys[id]));
        }
    }

    public Task<ApiKeyRecord?> RevokeKeyAsync(string keyId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_keys.TryGetValue(keyId, out var key))
            {
                return Task.FromResult<ApiKeyRecord?>(null);
            }
            key = key with { Revoked = true };
            _keys[keyId] = key;
            return Task.FromResult<ApiKeyRecord?>(key);
        }
    }

    public Task<ApiKeyRecord?> FindKeyBySecretHashAsync(string secretHash, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_keyIdBySecretHash.TryGetValue(secretHash, out var id) ? _keys[id] : null);
        }
    }

    public Task<bool> TryClaimBootstrapAsync(string claimant, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var won = !_bootstrapClaimed;
            _bootstrapClaimed = true;
            return Task.FromResult(won);
        }
    }
}
