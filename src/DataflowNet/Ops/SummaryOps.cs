namespace DataflowNet;

/// <summary>
/// The summary ops of TensorFlow 1 (logging_ops): each outputs a serialized <c>Summary</c> protocol buffer as a
/// string scalar, for a <see cref="FileWriter"/> to write into an event file that TensorBoard reads. The bytes are
/// carried one char per byte (see <see cref="ByteStrings"/>). None is differentiable.
/// </summary>
internal static class SummaryOps
{
    public static void Register()
    {
        OpRegistry.Register(new OpDef("ScalarSummary", "tags", "values")
        { Gradient = Gradients.None,
            Shape = c =>
            {
                c.RequireType(0, [DataType.String]);
                c.RequireType(1, DataTypeExtensions.Numeric);
                // TensorFlow checks at run time only; shapes known here fail at the line that builds the op.
                TensorShape tags = c.InputShape(0), values = c.InputShape(1);
                if (!tags.IsCompatibleWith(values))
                    throw c.Error($"tags and values not the same shape: {tags} != {values} (tags {c.Input(0).name}, values {c.Input(1).name}).");
                return c.One(DataType.String, TensorShape.Scalar);
            },
        });
        OpRegistry.Register(new OpDef("HistogramSummary", "tag", "values")
        { Gradient = Gradients.None,
            Shape = c =>
            {
                c.RequireType(0, [DataType.String]);
                c.RequireRank(0, 0);
                c.RequireType(1, DataTypeExtensions.Numeric);
                return c.One(DataType.String, TensorShape.Scalar);
            },
        });
        OpRegistry.Register(new OpDef("MergeSummary", "inputs*")
        { Gradient = Gradients.None,
            Shape = c =>
            {
                if (c.NumInputs == 0) throw c.Error("MergeSummary needs at least one input.");
                for (int i = 0; i < c.NumInputs; i++) c.RequireType(i, [DataType.String]);
                return c.One(DataType.String, TensorShape.Scalar);
            },
        });
    }
}
