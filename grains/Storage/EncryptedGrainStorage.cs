using Orleans.Serialization.Serializers;
using Parley.Grains.Encryption;

namespace Parley.Grains;

/// <summary>Grain storage that encrypts every state before it reaches the storage beneath (Orleans' Redis or memory
/// storage): the state is serialised by the configured serializer (snake_case JSON), sealed by the
/// <see cref="ContentCipher"/> with the grain's id as its place, and handed down as opaque bytes that the storage beneath
/// writes as they are (<see cref="SealedStateSerializer"/>). ETags and existence pass through untouched, so Orleans'
/// optimistic concurrency works as before. A state copied under another grain's key fails authentication.</summary>
internal sealed class EncryptedGrainStorage(IGrainStorage inner, IGrainStorageSerializer serializer, ContentCipher cipher, IActivatorProvider activators)
    : IGrainStorage
{
    public static string PlaceOf(GrainId grainId) => "state/" + grainId.ToString();

    public async Task ReadStateAsync<T>(string grainType, GrainId grainId, IGrainState<T> grainState)
    {
        var sealedState = new GrainState<SealedState>(new SealedState(), grainState.ETag);
        await inner.ReadStateAsync(grainType, grainId, sealedState).ConfigureAwait(false);
        grainState.ETag = sealedState.ETag;
        if (sealedState.State?.Data is { Length: > 0 } data)
        {
            var plain = cipher.Unprotect(data, PlaceOf(grainId));
            grainState.State = serializer.Deserialize<T>(new BinaryData(plain));
            grainState.RecordExists = true;
        }
        else
        {
            grainState.State = activators.GetActivator<T>().Create();
            grainState.RecordExists = false;
        }
    }

    public async Task WriteStateAsync<T>(string grainType, GrainId grainId, IGrainState<T> grainState)
    {
        var plain = serializer.Serialize(grainState.State);
        var sealedState = new GrainState<SealedState>(new SealedState { Data = cipher.Protect(plain.ToMemory().Span, PlaceOf(grainId)) }, grainState.ETag)
        {
            RecordExists = grainState.RecordExists,
        };
        await inner.WriteStateAsync(grainType, grainId, sealedState).ConfigureAwait(false);
        grainState.ETag = sealedState.ETag;
        grainState.RecordExists = sealedState.RecordExists;
    }

    public async Task ClearStateAsync<T>(string grainType, GrainId grainId, IGrainState<T> grainState)
    {
        var sealedState = new GrainState<SealedState>(new SealedState(), grainState.ETag) { RecordExists = grainState.RecordExists };
        await inner.ClearStateAsync(grainType, grainId, sealedState).ConfigureAwait(false);
        grainState.ETag = sealedState.ETag;
        grainState.RecordExists = sealedState.RecordExists;
        grainState.State = activators.GetActivator<T>().Create();
    }
}

/// <summary>A state as the storage beneath <see cref="EncryptedGrainStorage"/> sees it: the envelope's bytes.</summary>
internal sealed class SealedState
{
    public byte[]? Data { get; set; }
}

/// <summary>The serializer of the storage beneath <see cref="EncryptedGrainStorage"/>: a <see cref="SealedState"/> is its
/// bytes, as they are.</summary>
internal sealed class SealedStateSerializer : IGrainStorageSerializer
{
    public BinaryData Serialize<T>(T? input) => input is SealedState { Data: { } data }
        ? new BinaryData(data)
        : throw new InvalidOperationException($"The storage beneath the encrypting storage was given a {typeof(T).Name}.");

    public T? Deserialize<T>(BinaryData input) => typeof(T) == typeof(SealedState)
        ? (T)(object)new SealedState { Data = input.ToArray() }
        : throw new InvalidOperationException($"The storage beneath the encrypting storage was asked for a {typeof(T).Name}.");
}
