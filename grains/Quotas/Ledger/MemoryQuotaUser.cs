using Parley.GrainInterfaces.Quotas;

namespace Parley.Grains.Quotas.Ledger;

/// <summary>One user's ledger in process; the same steps as the Redis scripts (see <see cref="RedisQuotaLedgerScripts"/>),
/// so both pass one contract suite. Not thread-safe: <see cref="MemoryQuotaLedger"/> locks it.</summary>
internal sealed class MemoryQuotaUser(string userId)
{
    private readonly MemoryQuotaScope _user = new("u");
    private readonly Dictionary<string, MemoryQuotaScope> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Reservation> _reservations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Period> _periods = new(StringComparer.Ordinal);
    private readonly List<BudgetAlert> _alerts = [];
    // Ids released before their admission ran, and until when that matters (ms).
    private readonly Dictionary<string, long> _releasedIds = new(StringComparer.Ordinal);

    public AdmissionResult Admit(AdmissionRequest request)
    {
        var p = QuotaPeriods.At(request.Now);
        var key = Begin(p, request.KeyId);
        if (_releasedIds.Remove(request.ReservationId))
        {
            throw new ReleasedReservationException(request.ReservationId);
        }
        if (_reservations.ContainsKey(request.ReservationId))
        {
            throw new DuplicateReservationException(request.ReservationId);
        }
        var ttlMs = (long)request.ReservationTtl.TotalMilliseconds;
        var keyLimits = request.KeyLimits ?? QuotaLimits.None;
        var refusal = Check(QuotaScope.User, _user, request.UserLimits, request, p, ttlMs);
        if (refusal is null && key is not null)
        {
            refusal = Check(QuotaScope.Key, key, keyLimits, request, p, ttlMs);
        }
        if (refusal is null)
        {
            var expiry = p.NowMs + ttlMs;
            _reservations[request.ReservationId] = new Reservation(request.Tokens, request.CostMicrosUsd, p.Day, p.Month, request.KeyId);
            _user.InFlight.Add(new(expiry, request.ReservationId));
            _user.Record(request.ReservationId, p.NowMs, request.Tokens);
            key?.InFlight.Add(new(expiry, request.ReservationId));
            key?.Record(request.ReservationId, p.NowMs, request.Tokens);
            _alerts.Clear();
            ChargeBoth(p.Day, p.Month, key, request.UserLimits, keyLimits, request.Tokens, request.CostMicrosUsd, create: true);
        }
        var requests = QuotaLedgerRules.Pick(RequestsWindow(_user, request.UserLimits, p.NowMs),
            key is null ? default : RequestsWindow(key, keyLimits, p.NowMs));
        var tokens = QuotaLedgerRules.Pick(TokensWindow(_user, request.UserLimits, p.NowMs),
            key is null ? default : TokensWindow(key, keyLimits, p.NowMs));
        return new AdmissionResult(refusal is null, refusal, requests, tokens, refusal is null ? [.. _alerts] : Exhausted(refusal, key, p));
    }

    public SettlementResult Settle(SettlementRequest request)
    {
        var p = QuotaPeriods.At(request.Now);
        var key = Begin(p, request.KeyId);
        if (!_reservations.TryGetValue(request.ReservationId, out var r))
        {
            return new SettlementResult(false, []);
        }
        if (r.KeyId != request.KeyId)
        {
            throw QuotaLedgerRules.KeyMismatch(request.ReservationId, request.KeyId);
        }
        _reservations.Remove(request.ReservationId);
        _user.InFlight.RemoveWhere(e => e.Id == request.ReservationId);
        key?.InFlight.RemoveWhere(e => e.Id == request.ReservationId);
        _user.Settle(request.ReservationId, p.NowMs, r.Tokens, request.Tokens);
        key?.Settle(request.ReservationId, p.NowMs, r.Tokens, request.Tokens);
        _alerts.Clear();
        ChargeBoth(r.Day, r.Month, key, request.UserLimits, request.KeyLimits ?? QuotaLimits.None,
            request.Tokens - r.Tokens, request.CostMicrosUsd - r.Cost, create: false);
        return new SettlementResult(true, [.. _alerts]);
    }

    public bool Release(ReleaseRequest request)
    {
        var p = QuotaPeriods.At(request.Now);
        var id = request.ReservationId;
        // Looked up first: a reservation that expires in Begin has given back its reservation, but not its window entries.
        _reservations.TryGetValue(id, out var reservation);
        if (reservation is not null && reservation.KeyId != request.KeyId)
        {
            throw QuotaLedgerRules.KeyMismatch(id, request.KeyId);
        }
        var key = Begin(p, request.KeyId);
        if (reservation is null)
        {
            if (_releasedIds.ContainsKey(id))
            {
                return false;
            }
            foreach (var (stale, until) in _releasedIds.ToList())
            {
                if (until <= p.NowMs)
                {
                    _releasedIds.Remove(stale);
                }
            }
            _releasedIds[id] = p.NowMs + (long)request.ReservationTtl.TotalMilliseconds;
            return false;
        }
        if (_reservations.Remove(id))
        {
            _user.InFlight.RemoveWhere(e => e.Id == id);
            key?.InFlight.RemoveWhere(e => e.Id == id);
            AddToPeriod("d:" + reservation.Day, reservation.KeyId, -reservation.Tokens, -reservation.Cost);
            AddToPeriod("m:" + reservation.Month, reservation.KeyId, -reservation.Tokens, -reservation.Cost);
        }
        _user.Forget(id);
        key?.Forget(id);
        return true;
    }

    public QuotaUsage Usage(string? keyId, DateTimeOffset now)
    {
        var p = QuotaPeriods.At(now);
        var key = Begin(p, keyId ?? string.Empty);
        var s = key ?? _user;
        _periods.TryGetValue("d:" + p.Day, out var day);
        _periods.TryGetValue("m:" + p.Month, out var month);
        return new QuotaUsage(s.Requests.Count, s.TokenSum, s.InFlight.Count,
            day?.Get(s.Field + ":tok") ?? 0, month?.Get(s.Field + ":tok") ?? 0,
            day?.Get(s.Field + ":usd") ?? 0, month?.Get(s.Field + ":usd") ?? 0, p.Day, p.Month);
    }

    /// <summary>Releases expired reservations, trims the windows and drops periods no reservation can reach any more;
    /// returns the key's scope (null when the call names no key).</summary>
    private MemoryQuotaScope? Begin(in QuotaPeriods p, string keyId)
    {
        while (_user.InFlight.Count > 0 && _user.InFlight.Min.Ms <= p.NowMs)
        {
            var expired = _user.InFlight.Min;
            _user.InFlight.Remove(expired);
            if (_reservations.Remove(expired.Id, out var r))
            {
                AddToPeriod("d:" + r.Day, r.KeyId, -r.Tokens, -r.Cost);
                AddToPeriod("m:" + r.Month, r.KeyId, -r.Tokens, -r.Cost);
            }
        }
        var live = new[] { "d:" + p.Day, "d:" + p.PreviousDay, "m:" + p.Month, "m:" + p.PreviousMonth };
        foreach (var name in _periods.Keys.Where(n => Array.IndexOf(live, n) < 0).ToList())
        {
            _periods.Remove(name);
        }
        _user.Trim(p.NowMs);
        foreach (var (id, scope) in _keys.ToList())
        {
            MemoryQuotaScope.RemoveUpTo(scope.InFlight, p.NowMs);
            scope.Trim(p.NowMs);
            if (scope.IsEmpty)
            {
                _keys.Remove(id);
            }
        }
        if (keyId.Length == 0)
        {
            return null;
        }
        if (!_keys.TryGetValue(keyId, out var key))
        {
            _keys[keyId] = key = new MemoryQuotaScope("k:" + keyId);
        }
        return key;
    }

    private QuotaRefusal? Check(QuotaScope scope, MemoryQuotaScope s, QuotaLimits l, AdmissionRequest request, in QuotaPeriods p, long ttlMs)
    {
        if (l.ConcurrentRequests is { } conc && s.InFlight.Count >= conc)
        {
            return Refuse(scope, QuotaKind.ConcurrentRequests, conc, Math.Min(s.InFlight.Min.Ms - p.NowMs, ttlMs));
        }
        if (l.RequestsPerMinute is { } rpm && s.Requests.Count >= rpm)
        {
            var oldest = MemoryQuotaScope.At(s.Requests, s.Requests.Count - rpm);
            return Refuse(scope, QuotaKind.RequestsPerMinute, rpm, oldest.Ms + QuotaLedgerRules.WindowMs - p.NowMs);
        }
        if (l.TokensPerMinute is { } tpm)
        {
            // A request larger than the whole per-minute limit can never fit: refused with a full window as its retry.
            if (request.Tokens > tpm)
            {
                return Refuse(scope, QuotaKind.TokensPerMinute, tpm, QuotaLedgerRules.WindowMs);
            }
            if (s.TokenSum + request.Tokens > tpm)
            {
                var retry = QuotaLedgerRules.WindowMs;
                var freed = 0L;
                foreach (var entry in s.Tokens)
                {
                    freed += s.Amounts.GetValueOrDefault(entry.Id);
                    if (s.TokenSum - freed + request.Tokens <= tpm)
                    {
                        retry = entry.Ms + QuotaLedgerRules.WindowMs - p.NowMs;
                        break;
                    }
                }
                return Refuse(scope, QuotaKind.TokensPerMinute, tpm, retry);
            }
        }
        _periods.TryGetValue("d:" + p.Day, out var day);
        _periods.TryGetValue("m:" + p.Month, out var month);
        var dTok = day?.Get(s.Field + ":tok") ?? 0;
        var mTok = month?.Get(s.Field + ":tok") ?? 0;
        var dUsd = day?.Get(s.Field + ":usd") ?? 0;
        var mUsd = month?.Get(s.Field + ":usd") ?? 0;
        if (l.TokensPerDay is { } td && dTok + request.Tokens > td)
        {
            return Refuse(scope, QuotaKind.TokensPerDay, td, p.MsUntilDayEnd);
        }
        if (l.TokensPerMonth is { } tm && mTok + request.Tokens > tm)
        {
            return Refuse(scope, QuotaKind.TokensPerMonth, tm, p.MsUntilMonthEnd);
        }
        if (l.MicrosUsdPerDay is { } ud && dUsd + request.CostMicrosUsd > ud)
        {
            return Refuse(scope, QuotaKind.MoneyPerDay, ud, p.MsUntilDayEnd);
        }
        if (l.MicrosUsdPerMonth is { } um && mUsd + request.CostMicrosUsd > um)
        {
            return Refuse(scope, QuotaKind.MoneyPerMonth, um, p.MsUntilMonthEnd);
        }
        return null;
    }

    /// <summary>A budget that refuses is exhausted: its 100 % alert, once per period (use reserved in advance may stop
    /// just short of the limit and never cross it by itself).</summary>
    private BudgetAlert[] Exhausted(QuotaRefusal refusal, MemoryQuotaScope? key, in QuotaPeriods p)
    {
        if (refusal.Kind < QuotaKind.TokensPerDay)
        {
            return [];
        }
        var s = refusal.Scope == QuotaScope.Key ? key! : _user;
        var isDay = refusal.Kind is QuotaKind.TokensPerDay or QuotaKind.MoneyPerDay;
        var periodName = isDay ? p.Day : p.Month;
        var period = PeriodOf((isDay ? "d:" : "m:") + periodName, create: true)!;
        var marker = string.Concat(s.Field, ":", refusal.Kind.ToString(), ":100");
        if (!period.Markers.Add(marker))
        {
            return [];
        }
        var used = period.Get(s.Field + (refusal.Kind is QuotaKind.TokensPerDay or QuotaKind.TokensPerMonth ? ":tok" : ":usd"));
        return [new BudgetAlert(userId, refusal.Scope == QuotaScope.Key ? s.Field[2..] : null, refusal.Scope, refusal.Kind, 100, periodName, used, refusal.Limit)];
    }

    private static QuotaRefusal Refuse(QuotaScope scope, QuotaKind kind, long limit, long retryMs)
        => new(scope, kind, limit, TimeSpan.FromMilliseconds(retryMs));

    private void ChargeBoth(string day, string month, MemoryQuotaScope? key, QuotaLimits userLimits, QuotaLimits keyLimits,
        long tokens, long cost, bool create)
    {
        // At admission the periods are created; a settlement only adjusts periods that still exist.
        var d = PeriodOf("d:" + day, create);
        var m = PeriodOf("m:" + month, create);
        foreach (var (s, scope, limits) in new[] { (_user, QuotaScope.User, userLimits), (key, QuotaScope.Key, keyLimits) })
        {
            if (s is null)
            {
                continue;
            }
            if (d is not null)
            {
                Charge(d, day, s, scope, QuotaKind.TokensPerDay, ":tok", tokens, limits.TokensPerDay);
                Charge(d, day, s, scope, QuotaKind.MoneyPerDay, ":usd", cost, limits.MicrosUsdPerDay);
            }
            if (m is not null)
            {
                Charge(m, month, s, scope, QuotaKind.TokensPerMonth, ":tok", tokens, limits.TokensPerMonth);
                Charge(m, month, s, scope, QuotaKind.MoneyPerMonth, ":usd", cost, limits.MicrosUsdPerMonth);
            }
        }
    }

    private void Charge(Period period, string periodName, MemoryQuotaScope s, QuotaScope scope, QuotaKind kind, string suffix,
        long amount, long? limit)
    {
        var field = s.Field + suffix;
        var before = period.Get(field);
        var after = before + amount;
        period.Counters[field] = after;
        if (limit is not { } l)
        {
            return;
        }
        foreach (var t in QuotaLedgerRules.AlertThresholds)
        {
            if (QuotaLedgerRules.Crosses(before, after, l, t) && period.Markers.Add(string.Concat(s.Field, ":", kind.ToString(), ":", t.ToString(System.Globalization.CultureInfo.InvariantCulture))))
            {
                _alerts.Add(new BudgetAlert(userId, scope == QuotaScope.Key ? s.Field[2..] : null, scope, kind, t, periodName, after, l));
            }
        }
    }

    private Period? PeriodOf(string name, bool create)
    {
        if (!_periods.TryGetValue(name, out var period) && create)
        {
            _periods[name] = period = new Period();
        }
        return period;
    }

    private void AddToPeriod(string name, string keyId, long tokens, long cost)
    {
        if (!_periods.TryGetValue(name, out var period))
        {
            return;
        }
        period.Counters["u:tok"] = period.Get("u:tok") + tokens;
        period.Counters["u:usd"] = period.Get("u:usd") + cost;
        if (keyId.Length > 0)
        {
            period.Counters["k:" + keyId + ":tok"] = period.Get("k:" + keyId + ":tok") + tokens;
            period.Counters["k:" + keyId + ":usd"] = period.Get("k:" + keyId + ":usd") + cost;
        }
    }

    private WindowState RequestsWindow(MemoryQuotaScope s, QuotaLimits l, long nowMs)
    {
        if (l.RequestsPerMinute is not { } rpm)
        {
            return default;
        }
        var n = s.Requests.Count;
        var reset = n >= rpm ? MemoryQuotaScope.At(s.Requests, n - rpm).Ms + QuotaLedgerRules.WindowMs - nowMs : 0;
        return new WindowState(rpm, Math.Max(rpm - n, 0), TimeSpan.FromMilliseconds(reset));
    }

    private static WindowState TokensWindow(MemoryQuotaScope s, QuotaLimits l, long nowMs)
    {
        if (l.TokensPerMinute is not { } tpm)
        {
            return default;
        }
        var reset = s.TokenSum > 0 && s.Tokens.Count > 0 ? s.Tokens.Max.Ms + QuotaLedgerRules.WindowMs - nowMs : 0;
        return new WindowState(tpm, Math.Max(tpm - s.TokenSum, 0), TimeSpan.FromMilliseconds(reset));
    }

    private sealed record Reservation(long Tokens, long Cost, string Day, string Month, string KeyId);

    private sealed class Period
    {
        public Dictionary<string, long> Counters { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Markers { get; } = new(StringComparer.Ordinal);

        public long Get(string field) => Counters.GetValueOrDefault(field);
    }
}
