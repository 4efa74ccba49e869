namespace Inventory.Engine;

/// <summary>Exponential backoff with jitter, so tasks failing together (a database restart) do not retry together.</summary>
public sealed class RetryPolicy(TimeSpan baseDelay, TimeSpan maxDelay)
{
    /// <param name="attempts">Attempts made so far, including the one that just failed.</param>
    /// <param name="random">Uniform in [0, 1).</param>
    public TimeSpan DelayFor(int attempts, double random)
    {
        var exponent = Math.Clamp(attempts - 1, 0, 30);
        var raw = Math.Min(maxDelay.TotalSeconds, baseDelay.TotalSeconds * Math.Pow(2, exponent));
        return TimeSpan.FromSeconds(raw * (0.75 + (0.5 * random)));
    }

    public TimeSpan DelayFor(int attempts) => DelayFor(attempts, Random.Shared.NextDouble());
}
