using System.Text.Json;

namespace Inventory.LoadDriver;

public sealed partial class HistoryRunner
{
    private HistoryOptions Options => options;

    /// <param name="RaceAtMs">When to commit it to race its expiry (about its expiresAt), or null to leave it to chance.</param>
    private sealed record Held(string Id, List<LineRecord> Lines, long? RaceAtMs);

    /// <summary>
    /// One client's reservations and returns: holds with the shortest TTL, commits to fresh order ids and releases of
    /// held ones (each sometimes repeated), commits timed about the expiry, partial returns of the client's sold orders
    /// (sometimes repeated with the same return id), cancels of committed orders. Unknown answers are repeated with the
    /// same id at once, as deductions are.
    /// </summary>
    private sealed class ReservationSteps(HistoryRunner runner, int index, RetryingClient client, Random random, CancellationToken abort)
    {
        private readonly List<Held> _held = [];
        private readonly List<(string Id, List<LineRecord> Lines)> _sold = [];
        private readonly HashSet<string> _soldIds = new(StringComparer.Ordinal);
        private readonly List<(string Id, List<LineRecord> Lines)> _committed = [];
        private readonly List<(string OrderId, string ReturnId, List<LineRecord> Lines)> _returns = [];
        private int _next;

        private HistoryOptions Options => runner.Options;

        /// <summary>An order acknowledged as deducted (or committed): units that may be returned.</summary>
        public void Sold(string orderId, IReadOnlyList<LineRecord> lines)
        {
            if (_soldIds.Add(orderId))
            {
                _sold.Add((orderId, [.. lines]));
            }
        }

        /// <summary>Commits a hold whose race time came; false if none is due.</summary>
        public async Task<bool> RaceDueExpiryAsync(RecordWriter writer)
        {
            var now = JsonLines.NowMs();
            var due = _held.FindIndex(h => h.RaceAtMs <= now);
            if (due < 0)
            {
                return false;
            }

            var held = _held[due];
            _held.RemoveAt(due);
            await CommitAsync(writer, held);
            return true;
        }

        public async Task StepAsync(RecordWriter writer, bool holding)
        {
            var roll = random.NextDouble();
            var open = _held.Where(h => h.RaceAtMs is null).ToList();
            if (holding && (roll < 0.4 || (open.Count == 0 && _sold.Count == 0)))
            {
                await HoldAsync(writer);
            }
            else if (roll < 0.7 && open.Count > 0)
            {
                // Oldest first now and then: some are past their expiresAt, so the commit or release meets the expiry.
                var held = random.NextDouble() < 0.3 ? open[0] : open[random.Next(open.Count)];
                _held.Remove(held);
                await (random.NextDouble() < 0.6 ? CommitAsync(writer, held) : ReleaseAsync(writer, held));
            }
            else if (roll < 0.78 && _committed.Count > 0)
            {
                var (id, lines) = _committed[random.Next(_committed.Count)];
                await CancelAsync(writer, id, lines);
            }
            else if (_sold.Count > 0)
            {
                await ReturnAsync(writer);
            }
            else if (holding)
            {
                await HoldAsync(writer);
            }
        }

        private async Task HoldAsync(RecordWriter writer)
        {
            var id = $"{Options.RunId}-{index}-r{_next++}";
            var lines = runner.PickLines(random).GroupBy(l => l.Sku, StringComparer.Ordinal)
                .Select(g => new LineRecord(g.Key, Math.Min(3, g.Sum(l => l.Quantity)))).ToList();
            var ttl = (int)Options.HoldTtl.TotalSeconds;
            var json = JsonSerializer.Serialize(new { reservationId = id, lines = Body(lines), ttlSeconds = ttl });
            HistoryOp op;
            var again = 0;
            do
            {
                var answer = await client.SendAsync(() => Requests.Json(HttpMethod.Post, "api/reservations", json, Options.FunctionKey), random, abort);
                op = await runner.RecordAsync(writer, index, "hold", id, lines, null, 0, answer);
                runner.ExpiresBy(answer.FinishedMs + (ttl * 1000L) + (op.Acknowledged ? 0 : 10_000));
            }
            while (op.Unknown && again++ < 2 && random.NextDouble() < 0.7);

            if (op.Acknowledged)
            {
                // About its expiresAt (claimed between the request's start and its answer): either side may win.
                long? raceAt = random.NextDouble() < 0.2 ? op.Answer.StartedMs + (ttl * 1000L) + random.Next(-600, 400) : null;
                _held.Add(new Held(id, lines, raceAt));
            }
        }

        private async Task CommitAsync(RecordWriter writer, Held held)
        {
            var orderId = $"{Options.RunId}-{index}-c{_next++}";
            var json = JsonSerializer.Serialize(new { orderId });
            var op = await SendAsync(writer, "commit", held.Id, held.Lines, orderId, $"api/reservations/{held.Id}/commit", json);
            if (op.Acknowledged && random.NextDouble() < 0.25)
            {
                await SendAsync(writer, "commit", held.Id, held.Lines, orderId, $"api/reservations/{held.Id}/commit", json); // must replay
            }

            if (op.Acknowledged)
            {
                Sold(orderId, held.Lines);
                _committed.Add((orderId, held.Lines));
                if (random.NextDouble() < 0.1)
                {
                    await CancelAsync(writer, orderId, held.Lines);
                }
            }
        }

        private async Task ReleaseAsync(RecordWriter writer, Held held)
        {
            var op = await SendAsync(writer, "release", held.Id, held.Lines, null, $"api/reservations/{held.Id}/release", "{}");
            if (!op.Unknown && random.NextDouble() < 0.35)
            {
                await SendAsync(writer, "release", held.Id, held.Lines, null, $"api/reservations/{held.Id}/release", "{}"); // must not restock twice
            }
        }

        private async Task CancelAsync(RecordWriter writer, string orderId, List<LineRecord> lines)
        {
            await SendAsync(writer, "cancel", orderId, lines, null, $"api/deductions/{orderId}/cancel", "{}");
            if (random.NextDouble() < 0.3)
            {
                await SendAsync(writer, "cancel", orderId, lines, null, $"api/deductions/{orderId}/cancel", "{}");
            }
        }

        private async Task ReturnAsync(RecordWriter writer)
        {
            var (orderId, returnId, lines) = _returns.Count > 0 && random.NextDouble() < 0.15
                ? _returns[random.Next(_returns.Count)] // the same return id again later: must replay
                : NewReturn();
            _returns.Add((orderId, returnId, lines));
            var json = JsonSerializer.Serialize(new { returnId, lines = Body(lines) });
            var op = await SendAsync(writer, "return", orderId, lines, returnId, $"api/deductions/{orderId}/returns", json);
            if (op.Acknowledged && random.NextDouble() < 0.25)
            {
                await SendAsync(writer, "return", orderId, lines, returnId, $"api/deductions/{orderId}/returns", json); // must restock once
            }
        }

        /// <summary>Part of a sold order: some of its SKUs, each with 1 up to its units.</summary>
        private (string OrderId, string ReturnId, List<LineRecord> Lines) NewReturn()
        {
            var (orderId, sold) = _sold[random.Next(_sold.Count)];
            var units = sold.GroupBy(l => l.Sku, StringComparer.Ordinal).Select(g => (Sku: g.Key, Units: g.Sum(l => l.Quantity))).ToList();
            var lines = units.Where(_ => random.NextDouble() < 0.6).Select(u => new LineRecord(u.Sku, random.Next(1, (int)u.Units + 1))).ToList();
            if (lines.Count == 0)
            {
                lines.Add(new LineRecord(units[0].Sku, 1));
            }

            return (orderId, $"{orderId}-ret{_next++}", lines);
        }

        /// <summary>One request, repeated with the same id at once (up to twice) while its outcome stays unknown.</summary>
        private async Task<HistoryOp> SendAsync(RecordWriter writer, string kind, string id, List<LineRecord> lines, string? reference, string path, string json)
        {
            HistoryOp op;
            var again = 0;
            do
            {
                var answer = await client.SendAsync(() => Requests.Json(HttpMethod.Post, path, json, Options.FunctionKey), random, abort);
                op = await runner.RecordAsync(writer, index, kind, id, lines, null, 0, answer, reference);
            }
            while (op.Unknown && again++ < 2 && random.NextDouble() < 0.7);

            return op;
        }

        private static object Body(List<LineRecord> lines) => lines.Select(l => new { sku = l.Sku, quantity = l.Quantity });
    }
}
