namespace Parley.Runtime;

/// <summary>Marker for a grain interface. Every method returns <see cref="Task"/>, <see cref="Task{T}"/>,
/// <see cref="ValueTask"/> or <see cref="ValueTask{T}"/>; calls into one activation run one turn at a time.</summary>
public interface IGrain;

/// <summary>A grain addressed by a string key (conversation id, user id, upstream key id).</summary>
public interface IGrainWithStringKey : IGrain;
