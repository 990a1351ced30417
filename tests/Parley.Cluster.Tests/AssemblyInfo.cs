// Each test class runs its own three silo processes; running two clusters at once on a small machine only makes
// both slower and their timing-sensitive steps (death detection) noisier.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
