using Inventory.Tests.Http;
using Inventory.Tests.Infrastructure;

namespace Inventory.Functions.Tests;

/// <summary>One worker (no SQL, no queue polling, no timers) shared by the HTTP contract suites.</summary>
public sealed class ContractWorker : IAsyncLifetime
{
    public FunctionsWorker Worker { get; private set; } = null!;

    public async Task InitializeAsync() => Worker = await FunctionsWorker.StartAsync(TestEnvironment.UniquePrefix("fw"));

    public async Task DisposeAsync() => await Worker.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ContractCollection : ICollectionFixture<ContractWorker>
{
    public const string Name = "functions worker contract";
}

/// <summary>The plain server's HTTP contract, against the Functions app behind the local worker-protocol host.</summary>
[Collection(ContractCollection.Name)]
public sealed class WorkerApiBehaviourTests(ContractWorker fixture) : ApiBehaviourTests(fixture.Worker);

[Collection(ContractCollection.Name)]
public sealed class WorkerFlashSaleTests(ContractWorker fixture) : FlashSaleTests(fixture.Worker);

[Collection(ContractCollection.Name)]
public sealed class WorkerReturnTests(ContractWorker fixture) : Inventory.Tests.Checkout.ReturnTests(fixture.Worker);

[Collection(ContractCollection.Name)]
public sealed class WorkerCustomerLimitTests(ContractWorker fixture) : Inventory.Tests.Checkout.CustomerLimitTests(fixture.Worker);

[Collection(ContractCollection.Name)]
public sealed class WorkerReservationTests(ContractWorker fixture) : Inventory.Tests.Checkout.ReservationTests(fixture.Worker);
