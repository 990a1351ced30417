using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Parley.Runtime.Storage;

namespace Parley.Runtime.Grains;

/// <summary>What the runtime knows about one grain class, computed once at registration: its type name, idle age, a
/// compiled constructor, and how to build the <see cref="IPersistentState{TState}"/> arguments it declares.</summary>
internal sealed class GrainRegistration
{
    private GrainRegistration(Type interfaceType, Type grainClass, string typeName, TimeSpan? collectionAge,
        ObjectFactory factory, StateBinding[] states)
    {
        InterfaceType = interfaceType;
        GrainClass = grainClass;
        TypeName = typeName;
        CollectionAge = collectionAge;
        Factory = factory;
        States = states;
    }

    public Type InterfaceType { get; }
    public Type GrainClass { get; }
    public string TypeName { get; }
    public TimeSpan? CollectionAge { get; }
    public ObjectFactory Factory { get; }
    public StateBinding[] States { get; }

    public static GrainRegistration Create(Type interfaceType, Type grainClass, TimeSpan? collectionAge)
    {
        if (collectionAge is { } age && age <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(collectionAge), age, "A grain type's collection age must be positive.");
        }
        GrainMethodInvoker.ValidateInterface(interfaceType);
        var typeName = grainClass.GetCustomAttribute<GrainTypeAttribute>()?.Name
            ?? throw new InvalidOperationException($"Grain class {grainClass.FullName} has no [GrainType(\"name\")] attribute.");
        var constructor = SelectConstructor(grainClass);
        var states = constructor.GetParameters()
            .Select(p => (Parameter: p, Attribute: p.GetCustomAttribute<PersistentStateAttribute>()))
            .Where(x => x.Attribute is not null)
            .Select(x => StateBinding.Create(x.Parameter, x.Attribute!))
            .ToArray();
        // ActivatorUtilities matches the given arguments to parameters by type in order, so pass them in
        // constructor order; that keeps two states of the same type bound to the right parameters.
        var factory = ActivatorUtilities.CreateFactory(grainClass, [.. states.Select(s => s.ParameterType)]);
        return new GrainRegistration(interfaceType, grainClass, typeName, collectionAge, factory, states);
    }

    private static ConstructorInfo SelectConstructor(Type grainClass)
    {
        var constructors = grainClass.GetConstructors();
        return constructors.SingleOrDefault(c => c.IsDefined(typeof(ActivatorUtilitiesConstructorAttribute)))
            ?? (constructors.Length == 1
                ? constructors[0]
                : throw new InvalidOperationException(
                    $"Grain class {grainClass.FullName} must have exactly one public constructor (or mark one with [ActivatorUtilitiesConstructor])."));
    }
}

/// <summary>One <c>[PersistentState]</c> constructor parameter.</summary>
internal sealed class StateBinding
{
    private static readonly MethodInfo CreateStateMethod =
        typeof(StateBinding).GetMethod(nameof(CreateState), BindingFlags.NonPublic | BindingFlags.Static)!;

    private readonly Func<string, GrainId, IGrainStorage, object> _create;

    private StateBinding(Type parameterType, string stateName, string storageName, Func<string, GrainId, IGrainStorage, object> create)
    {
        ParameterType = parameterType;
        StateName = stateName;
        StorageName = storageName;
        _create = create;
    }

    public Type ParameterType { get; }
    public string StateName { get; }
    public string StorageName { get; }

    public static StateBinding Create(ParameterInfo parameter, PersistentStateAttribute attribute)
    {
        var type = parameter.ParameterType;
        if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(IPersistentState<>))
        {
            throw new InvalidOperationException(
                $"[PersistentState] parameter '{parameter.Name}' of {parameter.Member.DeclaringType?.FullName} must be of type IPersistentState<T>.");
        }
        var stateType = type.GetGenericArguments()[0];
        var create = CreateStateMethod.MakeGenericMethod(stateType)
            .CreateDelegate<Func<string, GrainId, IGrainStorage, object>>();
        return new StateBinding(type, attribute.StateName, attribute.StorageName, create);
    }

    /// <summary>Builds the state object over the named storage provider of <paramref name="services"/>.</summary>
    public object CreateFor(GrainId grainId, IServiceProvider services)
    {
        var storage = services.GetKeyedService<IGrainStorage>(StorageName)
            ?? throw new InvalidOperationException(
                $"No grain storage named '{StorageName}' is registered (state '{StateName}' of {grainId}); call AddMemoryGrainStorage or AddRedisGrainStorage.");
        return _create(StateName, grainId, storage);
    }

    private static object CreateState<TState>(string stateName, GrainId grainId, IGrainStorage storage)
        where TState : class, new()
        => new PersistentState<TState>(stateName, grainId, storage);
}
