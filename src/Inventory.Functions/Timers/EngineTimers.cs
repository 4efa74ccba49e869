using Inventory.Api.Queues;
using Inventory.Engine;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Timers;

public sealed class DispatchTasks(TaskDispatcher dispatcher)
{
    [Function(nameof(DispatchTasks))]
    public Task Run([TimerTrigger("%TaskDispatchSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        dispatcher.RunDueAsync(cancellationToken);
}

public sealed class UnlockStaleLeases(StaleLeaseSweeper sweeper)
{
    [Function(nameof(UnlockStaleLeases))]
    public Task Run([TimerTrigger("%StaleLeaseSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        sweeper.RunAsync(cancellationToken);
}

public sealed class SweepJournals(JournalSweeper sweeper)
{
    [Function(nameof(SweepJournals))]
    public Task Run([TimerTrigger("%JournalSweepSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        sweeper.RunAsync(cancellationToken);
}

public sealed class PruneTasks(TaskPruner pruner)
{
    [Function(nameof(PruneTasks))]
    public Task Run([TimerTrigger("%TaskPruneSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        pruner.RunAsync(cancellationToken);
}

public sealed class RedrivePoisonedWakeups(PoisonRedriver redriver)
{
    [Function(nameof(RedrivePoisonedWakeups))]
    public Task Run([TimerTrigger("%PoisonRedriveSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        redriver.RedriveAsync(cancellationToken: cancellationToken);
}
