using System.Net;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Inventory.Tests.Engine;
using Inventory.Tests.Infrastructure;
using Inventory.WorkerHost;

namespace Inventory.Functions.Tests;

/// <summary>Queues shared with the app (their names are constants in the app): emptied before and after a worker runs.</summary>
internal static class WakeupQueues
{
    public static QueueClient Tasks { get; } = new(TestEnvironment.Storage, "inventory-tasks", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    public static QueueClient Poison { get; } = new(TestEnvironment.Storage, "inventory-tasks-poison", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    public static async Task ClearAsync()
    {
        foreach (var queue in new[] { Tasks, Poison })
        {
            await queue.CreateIfNotExistsAsync();
            await queue.ClearMessagesAsync();
        }
    }

    public static Dictionary<string, string> EngineSettings(TestDatabase database) => new()
    {
        ["Inventory__Sql__Provider"] = "postgres",
        ["Inventory__Sql__ConnectionString"] = database.ConnectionString,
        ["Inventory__Engine__SweepGrace"] = "00:00:01",
        ["Inventory__Engine__Lease"] = "00:00:05",
        ["Inventory__Wakeup__IntervalMilliseconds"] = "100",
    };
}

/// <summary>Polls a condition until it holds or the bound passes; tests wait on state, never on a fixed sleep.</summary>
internal static class Eventually
{
    public static async Task<bool> HoldsAsync(Func<Task<bool>> condition, TimeSpan bound, TimeSpan? every = null)
    {
        var deadline = DateTime.UtcNow + bound;
        while (true)
        {
            if (await condition())
            {
                return true;
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(every ?? TimeSpan.FromMilliseconds(200));
        }
    }
}

/// <summary>
/// The engine through the real worker with SQL configured: the worker migrates an empty database, the queue-triggered
/// wake-up persists deductions made through the Functions HTTP routes, and poisoned wake-ups are re-driven by the timer.
/// </summary>
public sealed class WorkerEngineTests : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private RedisTarget _redis = null!;
    private FunctionsWorker _worker = null!;

    public async Task InitializeAsync()
    {
        await WakeupQueues.ClearAsync();
        _database = await TestDatabase.CreateAsync();
        _redis = RedisTarget.Create("standalone");
        _worker = await FunctionsWorker.StartAsync(_redis.Options.KeyPrefix, WakeupQueues.EngineSettings(_database), queueTriggers: true,
            configureQueues: queues =>
            {
                // A failed wake-up is retried at once and poisoned on its second failure, so the test does not wait 5 × 30 s.
                queues.VisibilityTimeout = TimeSpan.Zero;
                queues.MaxDequeueCount = 2;
                queues.MaxPollingInterval = TimeSpan.FromMilliseconds(500);
            });
    }

    public async Task DisposeAsync()
    {
        await _worker.DisposeAsync();
        await WakeupQueues.ClearAsync();
        await _redis.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Deductions_through_the_functions_routes_are_persisted_by_the_queue_triggered_wakeup()
    {
        var skus = Enumerable.Range(0, 6).Select(i => $"fe-{i}").ToList();
        foreach (var sku in skus)
        {
            await _worker.SetStockAsync(sku, 100);
        }

        using var client = _worker.CreateClient();
        var orders = Enumerable.Range(0, 60).Select(i => (Id: $"fe-o{i}", Sku: skus[i % skus.Count])).ToList();
        var statuses = await Task.WhenAll(orders.Select(async o =>
        {
            using var response = await client.PostAsync("api/deductions", HttpCalls.Json(HttpCalls.Order(o.Id, (o.Sku, 2))));
            return response.StatusCode;
        }));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        using (var cancel = await client.PostAsync("api/deductions/fe-o0/cancel", HttpCalls.Json(new { })))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }

        var checker = new PersistenceChecker(_redis.Connection, _redis.Options.KeyPrefix, _redis.Options.Partitions, _database);
        var differences = await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(45));
        Assert.True(differences.Count == 0, string.Join("\n", differences) + "\n" + _worker.Log);
        Assert.True(await Eventually.HoldsAsync(async () => (await PersistedAsync(client, orders[^1].Id)) == true, TimeSpan.FromSeconds(15)), _worker.Log);
        Assert.Contains(_worker.Host.QueueOutcomes, o => o is { Function: "ProcessWakeup", Kind: QueueOutcomeKind.Succeeded });
        Assert.DoesNotContain(_worker.Host.QueueOutcomes, o => o.Kind == QueueOutcomeKind.Poisoned);
    }

    [Fact]
    public async Task A_wakeup_that_keeps_failing_is_poisoned_and_the_redrive_timer_brings_it_back()
    {
        // A partition the journal does not have: the wake-up handler throws, every time.
        var text = $$"""{"partition":9999,"afterId":"0-{{Guid.NewGuid():N}}","throughId":null}""";
        await WakeupQueues.Tasks.SendMessageAsync(text);

        Assert.True(await Eventually.HoldsAsync(() => Task.FromResult(Deliveries(text).Any(o => o.Kind == QueueOutcomeKind.Poisoned)), TimeSpan.FromSeconds(30)), _worker.Log);
        Assert.Equal([QueueOutcomeKind.Retried, QueueOutcomeKind.Poisoned], Deliveries(text).Select(o => o.Kind));
        Assert.Contains((await WakeupQueues.Poison.PeekMessagesAsync(32)).Value, m => m.MessageText == text);

        var redrive = await _worker.Host.FireTimerAsync("RedrivePoisonedWakeups");

        Assert.True(redrive.Succeeded, redrive.Error);
        Assert.True(await Eventually.HoldsAsync(() => Task.FromResult(Deliveries(text).Count >= 3), TimeSpan.FromSeconds(30)), _worker.Log);
        var again = Deliveries(text)[2];
        Assert.Equal(1, again.DequeueCount);
        Assert.NotEqual(Deliveries(text)[0].MessageId, again.MessageId);
    }

    private List<QueueOutcome> Deliveries(string text) => _worker.Host.QueueOutcomes.Where(o => o.Text == text).ToList();

    internal static async Task<bool?> PersistedAsync(HttpClient client, string orderId)
    {
        var (status, body) = await client.GetJsonAsync($"api/deductions/{orderId}");
        return status == HttpStatusCode.OK ? body!["persisted"]?.GetValue<bool>() : null;
    }
}

/// <summary>
/// The timers through the real worker, with queue polling off so only they can persist: the journal sweep and the
/// dispatcher bring Redis and SQL level, and every timer function runs without error when fired.
/// </summary>
public sealed class WorkerTimerTests : IAsyncLifetime
{
    private static readonly string[] Timers = ["DispatchTasks", "UnlockStaleLeases", "SweepJournals", "PruneTasks", "RedrivePoisonedWakeups", "ReconcileStock", "RecoverOrders", "ExpireHolds"];
    private TestDatabase _database = null!;
    private RedisTarget _redis = null!;
    private FunctionsWorker _worker = null!;

    public async Task InitializeAsync()
    {
        await WakeupQueues.ClearAsync();
        _database = await TestDatabase.CreateAsync();
        _redis = RedisTarget.Create("standalone");
        _worker = await FunctionsWorker.StartAsync(_redis.Options.KeyPrefix, WakeupQueues.EngineSettings(_database));
    }

    public async Task DisposeAsync()
    {
        await _worker.DisposeAsync();
        await WakeupQueues.ClearAsync();
        await _redis.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Timers_persist_what_no_wakeup_was_consumed_for_and_every_timer_runs()
    {
        await _worker.SetStockAsync("ft-1", 50);
        using var client = _worker.CreateClient();
        using (var deduct = await client.PostAsync("api/deductions", HttpCalls.Json(HttpCalls.Order("ft-o1", ("ft-1", 3)))))
        {
            Assert.Equal(HttpStatusCode.OK, deduct.StatusCode);
        }

        Assert.False(await WorkerEngineTests.PersistedAsync(client, "ft-o1"));

        // The sweep only takes journal entries older than its grace (1 s here), so fire until it has.
        var persisted = await Eventually.HoldsAsync(async () =>
        {
            foreach (var timer in new[] { "SweepJournals", "DispatchTasks" })
            {
                var run = await _worker.Host.FireTimerAsync(timer);
                Assert.True(run.Succeeded, $"{timer}: {run.Error}");
            }

            return await WorkerEngineTests.PersistedAsync(client, "ft-o1") == true;
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500));
        Assert.True(persisted, _worker.Log);

        var checker = new PersistenceChecker(_redis.Connection, _redis.Options.KeyPrefix, _redis.Options.Partitions, _database);
        Assert.Empty(await checker.DifferencesAsync());
        foreach (var timer in Timers)
        {
            var run = await _worker.Host.FireTimerAsync(timer);
            Assert.True(run.Succeeded, $"{timer}: {run.Error}\n{_worker.Log}");
        }

        using var admin = _worker.CreateClient(ServerProcess.AdminKey);
        var reconciliation = JsonNode.Parse(await admin.GetStringAsync("api/reconciliation"))!;
        Assert.Equal(0, reconciliation["driftUnits"]!.GetValue<long>());
    }
}

public sealed class TimerScheduleTests
{
    [Fact]
    public void Schedules_parse_as_ncrontab_with_or_without_seconds_or_as_a_timespan()
    {
        var from = new DateTime(2026, 1, 1, 0, 0, 1);
        Assert.Equal(new DateTime(2026, 1, 1, 0, 0, 5), TimerSchedule.Parse("*/5 * * * * *")(from));
        Assert.Equal(new DateTime(2026, 1, 1, 0, 5, 0), TimerSchedule.Parse("0 */5 * * * *")(from));
        Assert.Equal(new DateTime(2026, 1, 1, 0, 5, 0), TimerSchedule.Parse("*/5 * * * *")(from));
        Assert.Equal(new DateTime(2026, 1, 1, 0, 10, 1), TimerSchedule.Parse("00:10:00")(from));
    }
}
