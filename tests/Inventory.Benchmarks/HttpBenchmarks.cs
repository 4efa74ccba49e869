using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Inventory.Benchmarks;

/// <summary>Deductions/s through the plain server beside a no-op route without middleware in the same server.</summary>
internal static class HttpBenchmarks
{
    public static async Task RunAsync(BenchmarkOptions options)
    {
        var port = FreePort();
        var prefix = "hbench" + Guid.NewGuid().ToString("N")[..6];
        using var server = StartServer(port, prefix, options.Redis);
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Concurrency }) { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        client.DefaultRequestHeaders.Add("x-functions-key", "bench-key");
        await WaitHealthyAsync(client);

        var skus = Enumerable.Range(0, 64).Select(i => $"hb-{i}").ToList();
        foreach (var sku in skus)
        {
            using var put = await client.PutAsync($"api/stock/{sku}", Json($$"""{"available":{{options.Orders * 2}}}"""));
            put.EnsureSuccessStatusCode();
        }

        var total = Math.Min(options.Orders, 50_000);
        Console.WriteLine();
        Console.WriteLine($"HTTP (plain server, {total:N0} requests, {options.Concurrency} concurrent clients)");
        await Measure.RateAsync(2000, options.Concurrency, async i => (await client.PostAsync("bench/noop", Json("{}"))).Dispose());
        var noop = await Measure.RateAsync(total, options.Concurrency, async i => (await client.PostAsync("bench/noop", Json("{}"))).Dispose());
        var failures = 0;
        var deductions = await Measure.RateAsync(total, options.Concurrency, async i =>
        {
            using var response = await client.PostAsync("api/deductions", Json($$"""{"orderId":"{{prefix}}-{{i}}","lines":[{"sku":"{{skus[i % skus.Count]}}","quantity":1}]}"""));
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Interlocked.Increment(ref failures);
            }
        });

        var left = 0L;
        foreach (var sku in skus)
        {
            var body = await client.GetStringAsync($"api/stock/{sku}");
            left += long.Parse(body.Split("\"available\":")[1].TrimEnd('}'), System.Globalization.CultureInfo.InvariantCulture);
        }

        Measure.Row("POST /bench/noop (no middleware, no work)", noop, "req/s");
        Measure.Row("POST /api/deductions (key check, validation, Redis)", deductions, "orders/s");
        Console.WriteLine($"  stock check: {left:N0} units left, expected {(skus.Count * options.Orders * 2L) - total + failures:N0}; non-200 answers: {failures}");
        Measure.Ratio("deductions/s vs no-op/s in the same server", deductions / noop, 0.50);
        server.Kill(entireProcessTree: true);
    }

    private static Process StartServer(int port, string prefix, string redis)
    {
        var root = FindRoot();
        var dll = Path.Combine(root, "src", "Inventory.Server", "bin", "Release", "net10.0", "Inventory.Server.dll");
        if (!File.Exists(dll))
        {
            dll = Path.Combine(root, "src", "Inventory.Server", "bin", "Debug", "net10.0", "Inventory.Server.dll");
        }

        var info = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["Inventory__Redis__Configuration"] = redis;
        info.Environment["Inventory__Redis__KeyPrefix"] = prefix;
        info.Environment["Inventory__Keys__Function"] = "bench-key";
        info.Environment["Inventory__Keys__Admin"] = "bench-key";
        info.Environment["Inventory__Benchmark__NoopEndpoint"] = "true";
        info.Environment["Inventory__Workers__Engine"] = "false";
        // The deduction path alone, by choice: the server refuses to run without SQL unless told so.
        info.Environment["Inventory__Sql__Provider"] = "none";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitHealthyAsync(HttpClient client)
    {
        for (var i = 0; i < 300; i++)
        {
            try
            {
                using var response = await client.GetAsync("api/health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("The server did not start.");
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Inventory.sln")))
        {
            dir = dir.Parent;
        }

        return dir!.FullName;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
