// The integration tests share real Redis servers, and some pause them (CLIENT PAUSE) or kill processes:
// running test classes one at a time keeps those faults from reaching tests that did not ask for them.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
