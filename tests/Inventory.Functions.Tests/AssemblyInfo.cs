// Every test class starts its own worker against shared Redis, PostgreSQL and Azurite queues (the wake-up queue's
// name is fixed by the app): one class at a time keeps one worker's wake-ups away from another's.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
