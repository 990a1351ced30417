namespace Parley.Runtime;

/// <summary>Returns references to grains. A reference is cheap; the activation is created on its first call.</summary>
public interface IGrainFactory
{
    TGrainInterface GetGrain<TGrainInterface>(string key) where TGrainInterface : IGrainWithStringKey;
}
