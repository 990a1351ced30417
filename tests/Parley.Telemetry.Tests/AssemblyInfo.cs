// Meters are process-wide by name: a scrape counts what every host of the process measured. These tests assert exact
// counts, so their hosts run one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
