using System.Numerics;
using DataflowNet.Io.Proto;
using DataflowNet.Io.Summaries;
using Google.Protobuf;

namespace DataflowNet.Kernels.Cpu;

/// <summary>ScalarSummary, HistogramSummary and MergeSummary: each outputs a serialized Summary (see <see cref="ByteStrings"/>).</summary>
internal static class SummaryKernels
{
    public static void Register(KernelRegistry r)
    {
        r.Register("ScalarSummary", [DataType.String], ctx =>
        {
            TensorValue tags = ctx.Input(0), values = ctx.Input(1);
            if (!tags.Dims.AsSpan().SequenceEqual(values.Dims))
                throw ctx.Error($"tags and values not the same shape: {TensorShape.Format(tags.Dims)} != {TensorShape.Format(values.Dims)}" +
                                (tags.size == 1 ? $" (tag '{tags.Buffer<string>()[0]}')" : ""));
            var simple = values.ToArray<float>();
            var summary = new Summary();
            var names = tags.Buffer<string>();
            for (int i = 0; i < names.Length; i++)
                summary.Value.Add(new Summary.Types.Value { Tag = names[i], SimpleValue = simple[i] });
            SetSummary(ctx, summary);
        });
        r.Register("HistogramSummary", [DataType.String], ctx =>
        {
            var tag = ctx.Input(0);
            if (tag.ndim != 0) throw ctx.Error($"tags must be scalar, got shape {TensorShape.Format(tag.Dims)}.");
            var histogram = new Histogram();
            var add = new AddAction(ctx, ctx.Input(1), histogram);
            TypeSwitch.Numeric(ctx.Input(1).dtype, ref add);
            var summary = new Summary();
            summary.Value.Add(new Summary.Types.Value { Tag = tag.Buffer<string>()[0], Histo = histogram.ToProto() });
            SetSummary(ctx, summary);
        });
        r.Register("MergeSummary", [DataType.String], ctx =>
        {
            var merged = new Summary();
            var tags = new HashSet<string>(StringComparer.Ordinal);
            for (int input = 0; input < ctx.NumInputs; input++)
                foreach (var serialized in ctx.Input(input).Buffer<string>())
                {
                    var summary = Parse(serialized) ?? throw ctx.Error("Could not parse one of the summary inputs");
                    foreach (var v in summary.Value)
                    {
                        if (v.Tag.Length > 0 && !tags.Add(v.Tag)) throw ctx.Error($"Duplicate tag {v.Tag} found in summary inputs");
                        merged.Value.Add(v);
                    }
                }
            SetSummary(ctx, merged);
        });
    }

    private static void SetSummary(KernelContext ctx, Summary summary) =>
        ctx.SetOutput(0, TensorValue.Scalar(ByteStrings.FromBytes(summary.ToByteArray())));

    private static Summary? Parse(string serialized)
    {
        var bytes = ByteStrings.TryToBytes(serialized);
        if (bytes is null) return null;
        try { return Summary.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException) { return null; }
    }

    /// <summary>Adds every value to the histogram; NaN and infinity fail in TensorFlow's words, naming the op.</summary>
    private readonly struct AddAction(KernelContext ctx, TensorValue values, Histogram histogram) : INumericAction
    {
        public void Invoke<T>() where T : unmanaged, INumber<T>
        {
            var data = values.Buffer<T>();
            var stop = histogram.AddRange<T>(data);
            if (stop < 0) return;
            if (T.IsNaN(data[stop])) throw ctx.Error($"Nan in summary histogram for: {ctx.OpName}");
            throw ctx.Error($"Infinity in summary histogram for: {ctx.OpName}");
        }
    }
}
