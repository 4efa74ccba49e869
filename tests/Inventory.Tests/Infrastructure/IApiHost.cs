namespace Inventory.Tests.Infrastructure;

/// <summary>
/// Whatever serves the HTTP API under test: the plain server, or the Functions worker behind the local
/// worker-protocol host. The HTTP contract suites run against every implementation, with the same keys.
/// </summary>
public interface IApiHost
{
    HttpClient CreateClient(string? key = ServerProcess.FunctionKey);
}
