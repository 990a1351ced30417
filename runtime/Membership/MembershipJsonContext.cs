using System.Text.Json.Serialization;

namespace Parley.Runtime.Membership;

/// <summary>A silo's row as stored in the Redis table: the entry and its ETag in one hash field, so the Lua scripts can
/// compare the ETag and replace the row in one step.</summary>
internal sealed record MembershipRow(string ETag, MembershipEntry Entry);

[JsonSerializable(typeof(MembershipRow))]
internal sealed partial class MembershipJsonContext : JsonSerializerContext;
