using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;

namespace Parley.Runtime.Grains;

/// <summary>Turns a call on a grain reference into a work item for the target activation. One instance per interface
/// method, built once: the grain method is called through a compiled delegate (no reflection per call), and every
/// return shape is normalised to a <see cref="ValueTask"/> for the mailbox and back to the declared type for the caller.</summary>
internal abstract class GrainMethodInvoker
{
    private static readonly ConcurrentDictionary<MethodInfo, GrainMethodInvoker> Cache = new();

    public static GrainMethodInvoker For(MethodInfo method) => Cache.GetOrAdd(method, static m => Create(m));

    /// <summary>Dispatches the call and returns what the interface method returns (a Task or a boxed ValueTask).</summary>
    public abstract object Invoke(GrainCatalog catalog, GrainRegistration registration, GrainId grainId, object?[]? args);

    public static void ValidateInterface(Type interfaceType)
    {
        if (!interfaceType.IsInterface)
        {
            throw new ArgumentException($"{interfaceType.FullName} is not an interface.", nameof(interfaceType));
        }
        foreach (var method in new[] { interfaceType }.Concat(interfaceType.GetInterfaces()).SelectMany(i => i.GetMethods()))
        {
            if (method.IsStatic || !method.IsAbstract)
            {
                continue;
            }
            var problem = method.IsGenericMethodDefinition ? "is generic"
                : method.GetParameters().Any(p => p.ParameterType.IsByRef) ? "has a ref/out parameter"
                : ResultKind(method.ReturnType) is null ? "does not return Task, Task<T>, ValueTask or ValueTask<T>"
                : null;
            if (problem is not null)
            {
                throw new NotSupportedException($"Grain method {interfaceType.Name}.{method.Name} {problem}.");
            }
        }
    }

    private static GrainMethodInvoker Create(MethodInfo method)
    {
        var kind = ResultKind(method.ReturnType)
            ?? throw new NotSupportedException($"Grain method {method.DeclaringType?.Name}.{method.Name} has an unsupported return type.");
        var (isValueTask, resultType) = kind;
        var invokerType = resultType is null
            ? (isValueTask ? typeof(ValueTaskInvoker) : typeof(TaskInvoker))
            : (isValueTask ? typeof(ValueTaskInvoker<>) : typeof(TaskInvoker<>)).MakeGenericType(resultType);
        return (GrainMethodInvoker)Activator.CreateInstance(invokerType, method)!;
    }

    private static (bool IsValueTask, Type? ResultType)? ResultKind(Type returnType)
    {
        if (returnType == typeof(Task))
        {
            return (false, null);
        }
        if (returnType == typeof(ValueTask))
        {
            return (true, null);
        }
        if (returnType.IsGenericType)
        {
            var definition = returnType.GetGenericTypeDefinition();
            if (definition == typeof(Task<>))
            {
                return (false, returnType.GetGenericArguments()[0]);
            }
            if (definition == typeof(ValueTask<>))
            {
                return (true, returnType.GetGenericArguments()[0]);
            }
        }
        return null;
    }

    /// <summary>Compiles <c>(grain, args) =&gt; new TResult(((TInterface)grain).Method((T0)args[0], ...))</c>, wrapping
    /// a Task in a ValueTask when the method returns a Task.</summary>
    protected static Func<Grain, object?[]?, TResult> Compile<TResult>(MethodInfo method)
    {
        var grain = Expression.Parameter(typeof(Grain), "grain");
        var args = Expression.Parameter(typeof(object[]), "args");
        var arguments = method.GetParameters().Select((p, i) =>
            (Expression)Expression.Convert(Expression.ArrayIndex(args, Expression.Constant(i)), p.ParameterType));
        Expression body = Expression.Call(Expression.Convert(grain, method.DeclaringType!), method, arguments);
        if (body.Type != typeof(TResult))
        {
            body = Expression.New(typeof(TResult).GetConstructor([body.Type])!, body);
        }
        return Expression.Lambda<Func<Grain, object?[]?, TResult>>(body, grain, args).Compile();
    }

    private sealed class TaskInvoker(MethodInfo method) : GrainMethodInvoker
    {
        private readonly Func<Grain, object?[]?, ValueTask> _call = Compile<ValueTask>(method);

        public override object Invoke(GrainCatalog catalog, GrainRegistration registration, GrainId grainId, object?[]? args)
        {
            var item = new CallWorkItem(_call, args);
            catalog.Dispatch(registration, grainId, item);
            return item.Task;
        }
    }

    private sealed class ValueTaskInvoker(MethodInfo method) : GrainMethodInvoker
    {
        private readonly Func<Grain, object?[]?, ValueTask> _call = Compile<ValueTask>(method);

        public override object Invoke(GrainCatalog catalog, GrainRegistration registration, GrainId grainId, object?[]? args)
        {
            var item = new CallWorkItem(_call, args);
            catalog.Dispatch(registration, grainId, item);
            return new ValueTask(item.Task);
        }
    }

    private sealed class TaskInvoker<T>(MethodInfo method) : GrainMethodInvoker
    {
        private readonly Func<Grain, object?[]?, ValueTask<T>> _call = Compile<ValueTask<T>>(method);

        public override object Invoke(GrainCatalog catalog, GrainRegistration registration, GrainId grainId, object?[]? args)
        {
            var item = new CallWorkItem<T>(_call, args);
            catalog.Dispatch(registration, grainId, item);
            return item.Task;
        }
    }

    private sealed class ValueTaskInvoker<T>(MethodInfo method) : GrainMethodInvoker
    {
        private readonly Func<Grain, object?[]?, ValueTask<T>> _call = Compile<ValueTask<T>>(method);

        public override object Invoke(GrainCatalog catalog, GrainRegistration registration, GrainId grainId, object?[]? args)
        {
            var item = new CallWorkItem<T>(_call, args);
            catalog.Dispatch(registration, grainId, item);
            return new ValueTask<T>(item.Task);
        }
    }
}
