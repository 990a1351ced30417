using System.Reflection;

namespace Parley.Runtime.Grains;

/// <summary>Hands out grain references. A reference is a small proxy object holding the grain id; the activation is
/// found (or created) when a method is called on it.</summary>
internal sealed class GrainFactory(GrainCatalog catalog) : IGrainFactory
{
    public TGrainInterface GetGrain<TGrainInterface>(string key) where TGrainInterface : IGrainWithStringKey
    {
        ArgumentNullException.ThrowIfNull(key);
        var registration = catalog.GetRegistration(typeof(TGrainInterface));
        var proxy = DispatchProxy.Create<TGrainInterface, GrainProxy>();
        ((GrainProxy)(object)proxy).Initialize(catalog, registration, new GrainId(registration.TypeName, key));
        return proxy;
    }
}

/// <summary>The grain reference: forwards each interface call to the method's cached invoker.</summary>
internal class GrainProxy : DispatchProxy
{
    private GrainCatalog? _catalog;
    private GrainRegistration? _registration;
    private GrainId _grainId;

    internal void Initialize(GrainCatalog catalog, GrainRegistration registration, GrainId grainId)
    {
        _catalog = catalog;
        _registration = registration;
        _grainId = grainId;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        => GrainMethodInvoker.For(targetMethod!).Invoke(_catalog!, _registration!, _grainId, args);

    public override string ToString() => $"GrainReference({_grainId})";

    public override bool Equals(object? obj) => obj is GrainProxy other && other._grainId == _grainId && ReferenceEquals(other._catalog, _catalog);

    public override int GetHashCode() => _grainId.GetHashCode();
}
