namespace Parley.Runtime;

public enum DeactivationReasonCode
{
    None,
    ActivationIdle,
    ApplicationRequested,
    ShuttingDown,
    ActivationFailed,
}

public readonly record struct DeactivationReason(DeactivationReasonCode ReasonCode, string Description);
