namespace DataflowNet;

/// <summary>
/// Ops that gradient functions emit, under TensorFlow's names (SigmoidGrad, ReluGrad, BroadcastGradientArgs…), so
/// a gradient graph looks like TensorFlow's and graph files carry it both ways.
/// </summary>
internal static class GradientOps
{
    /// <summary>(y or features, dy) pairs: elementwise, same shape, floating point.</summary>
    internal static readonly string[] ActivationGrads =
        ["SigmoidGrad", "TanhGrad", "SqrtGrad", "RsqrtGrad", "ReciprocalGrad", "ReluGrad", "Relu6Grad", "EluGrad", "SoftplusGrad", "LeakyReluGrad"];

    public static void Register()
    {
        foreach (var t in ActivationGrads)
            OpRegistry.Register(new OpDef(t, "a", "b")
            {
                Gradient = ActivationGradGrad.Of(t),
                Attrs = t == "LeakyReluGrad" ? new() { ["alpha"] = 0.2f } : new(),
                Shape = c =>
                {
                    var dt = c.SameType(0, 1);
                    c.RequireType(0, DataTypeExtensions.Floating);
                    var s = c.InputShape(0).MergeWith(c.InputShape(1))
                        ?? throw c.Error($"Both inputs must have the same shape, got {c.InputShape(0)} and {c.InputShape(1)}.");
                    return c.One(dt, s);
                },
            });
        OpRegistry.Register(new OpDef("BroadcastGradientArgs", "s0", "s1")
        {
            Gradient = Gradients.None,
            Shape = c =>
            {
                var t = c.SameType(0, 1);
                c.RequireType(0, [DataType.Int32, DataType.Int64]);
                return [new(t, TensorShape.UnknownOfRank(1)), new(t, TensorShape.UnknownOfRank(1))];
            },
        });
        OpRegistry.Register(new OpDef("BroadcastTo", "input", "shape")
        {
            Gradient = ArrayGrad.BroadcastTo,
            Shape = c =>
            {
                var input = c.InputShape(0);
                var target = c.ShapeFromInput(1);
                var merged = Shapes.Broadcast(input, target);
                if (merged is null || (!input.IsUnknownRank && !target.IsUnknownRank && input.Rank > target.Rank))
                    throw c.Error($"Cannot broadcast shape {input} to {target}.");
                return c.One(c.InputType(0), target);
            },
        });
        OpRegistry.Register(new OpDef("InvertPermutation", "x")
        {
            Gradient = Gradients.None,
            Shape = c => c.One(c.RequireType(0, [DataType.Int32, DataType.Int64]), c.InputShape(0)),
        });
        OpRegistry.Register(new OpDef("ConcatOffset", "concat_dim", "shape*")
        {
            Gradient = Gradients.None,
            Shape = c => Enumerable.Range(1, c.NumInputs - 1).Select(i => new OutputSpec(c.InputType(i), c.InputShape(i))).ToArray(),
        });
        OpRegistry.Register(new OpDef("StridedSliceGrad", "shape", "begin", "end", "strides", "dy")
        {
            Attrs = { ["begin_mask"] = 0, ["end_mask"] = 0, ["ellipsis_mask"] = 0, ["new_axis_mask"] = 0, ["shrink_axis_mask"] = 0 },
            Gradient = ArrayGrad.StridedSliceGrad,
            Shape = c => c.One(c.InputType(4), c.ShapeFromInput(0)),
        });
        OpRegistry.Register(new OpDef("UnsortedSegmentSum", "data", "segment_ids", "num_segments")
        {
            Gradient = MathGrad.UnsortedSegmentSum,
            Shape = c =>
            {
                c.RequireType(0, DataTypeExtensions.Numeric);
                c.RequireType(1, [DataType.Int32, DataType.Int64]);
                var data = c.InputShape(0);
                var ids = c.InputShape(1);
                var n = c.ConstInt(2) ?? -1;
                if (data.IsUnknownRank || ids.IsUnknownRank) return c.One(c.InputType(0), TensorShape.Unknown);
                if (ids.Rank > data.Rank) throw c.Error($"segment_ids {ids} must be a prefix of data's shape {data}.");
                return c.One(c.InputType(0), new TensorShape([n, .. data.Dims[ids.Rank..]]));
            },
        });
        OpRegistry.Register(new OpDef("BiasAddGrad", "out_backprop")
        {
            Attrs = { ["data_format"] = "NHWC" },
            Gradient = NnGrad.BiasAddGrad,
            Shape = c =>
            {
                var s = c.InputShape(0);
                var dt = c.RequireType(0, DataTypeExtensions.Numeric);
                if (s.IsUnknownRank) return c.One(dt, TensorShape.UnknownOfRank(1));
                int channel = c.Attr<string>("data_format") == "NCHW" ? 1 : s.Rank - 1;
                return c.One(dt, new TensorShape(s.Dims[channel]));
            },
        });
    }
}
