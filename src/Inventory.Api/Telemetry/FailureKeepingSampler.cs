using OpenTelemetry.Trace;

namespace Inventory.Api.Telemetry;

/// <summary>
/// Head sampling by trace id (<c>Inventory:Telemetry:SampleRatio</c>) that never loses a failure: a trace the ratio
/// leaves out is still recorded (RecordOnly, not Drop), so <see cref="Inventory.Telemetry.InventoryTelemetry.Keep"/>
/// can export it after all when a span fails or an outcome is unknown. Children follow their parent's flag, so a
/// sampled trace is exported whole and a caller's sampled <c>traceparent</c> is honoured.
/// </summary>
public sealed class FailureKeepingSampler(double ratio) : Sampler
{
    private static readonly SamplingResult Sampled = new(SamplingDecision.RecordAndSample);
    private static readonly SamplingResult RecordedOnly = new(SamplingDecision.RecordOnly);

    private readonly TraceIdRatioBasedSampler _ratio = new(ratio);

    public double Ratio { get; } = ratio;

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
    {
        var parent = samplingParameters.ParentContext;
        if (parent.TraceId != default)
        {
            return (parent.TraceFlags & System.Diagnostics.ActivityTraceFlags.Recorded) != 0 ? Sampled : RecordedOnly;
        }

        return _ratio.ShouldSample(samplingParameters).Decision == SamplingDecision.RecordAndSample ? Sampled : RecordedOnly;
    }
}
