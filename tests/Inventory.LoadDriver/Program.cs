using Inventory.LoadDriver;

// Fault-suite tools. Verbs:
//   load   many checkout clients against the HTTP API; writes what each saw (JSON lines)
//   check  after the faults: drain, then prove from records, Redis, SQL stock and ledger what was lost/doubled/oversold
//   proxy  a TCP fault proxy (delay/stall/drop/refuse) with a line-protocol control port
const string Usage = """
    usage: Inventory.LoadDriver load  --base-url URL --function-key K --admin-key K --output FILE [--duration S] [--clients N]
                                      [--hot-skus N] [--cold-skus N] [--hot-stock N] [--cold-stock N] [--seed N] [--run-id ID]
                                      [--hot-rate F] [--multi-sku-rate F] [--max-lines N] [--cancel-rate F] [--adjust-every-ms MS]
                                      [--think-ms MS] [--request-timeout S] [--give-up-after S]
           Inventory.LoadDriver check --records FILE --sql CONN [--faults FILE] [--redis HOST:PORT] [--prefix P] [--partitions N] [--drain-timeout S]
           Inventory.LoadDriver proxy --listen PORT --target HOST:PORT [--control PORT]
    """;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine(Usage);
    return args.Length == 0 ? 2 : 0;
}

try
{
    var options = new CommandLine(args.Skip(1));
    switch (args[0])
    {
        case "load":
        {
            var load = LoadOptions.Parse(options);
            options.RejectUnknown();
            using var abort = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; abort.Cancel(); };
            await new LoadRunner(load, Log).RunAsync(abort.Token);
            return 0;
        }

        case "check":
        {
            var check = CheckOptions.Parse(options);
            var allowLost = options.String("allow-lost", "false") == "true";
            options.RejectUnknown();
            var report = await CheckRun.RunAsync(check, Log);
            Console.WriteLine();
            Console.WriteLine(report.Table());
            var passed = report.Passed(allowLost);
            Console.WriteLine(passed ? "CHECK PASSED" : "CHECK FAILED");
            return passed ? 0 : 1;
        }

        case "proxy":
        {
            var listen = options.Int("listen", 0);
            var target = options.Required("target");
            var control = options.Int("control", 0);
            options.RejectUnknown();
            await using var proxy = FaultProxy.Start(listen, target);
            using var stop = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
            AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
            Log($"proxy: 127.0.0.1:{proxy.Port} -> {target}" + (control > 0 ? $", control on 127.0.0.1:{control}" : ""));
            if (control > 0)
            {
                await proxy.ServeControlAsync(control, stop.Token);
            }
            else
            {
                await Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            return 0;
        }

        default:
            Console.Error.WriteLine(Usage);
            return 2;
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}\n{Usage}");
    return 2;
}

static void Log(string line) => Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
