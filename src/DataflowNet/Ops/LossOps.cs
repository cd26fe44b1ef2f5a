namespace DataflowNet;

/// <summary>Losses and checks with kernels of their own: fused, numerically stable softmax cross-entropy, L2 loss, in_top_k, check_numerics.</summary>
internal static class LossOps
{
    public static void Register()
    {
        OpRegistry.Register(new OpDef("SoftmaxCrossEntropyWithLogits", "features", "labels")
        {
            Gradient = NnGrad.SoftmaxCrossEntropyWithLogits,
            Shape = c =>
            {
                var t = c.SameType(0, 1);
                c.RequireType(0, DataTypeExtensions.Floating);
                c.RequireRank(0, 2);
                var s = c.InputShape(0).MergeWith(c.InputShape(1))
                    ?? throw c.Error($"logits and labels must have the same shape: logits {c.Input(0).name} has shape {c.InputShape(0)}, labels {c.Input(1).name} has shape {c.InputShape(1)}.");
                var batch = s.IsUnknownRank ? -1 : s[0];
                return [new(t, new TensorShape(batch)), new(t, s.IsUnknownRank ? TensorShape.UnknownOfRank(2) : s)];
            },
        });
        OpRegistry.Register(new OpDef("SparseSoftmaxCrossEntropyWithLogits", "features", "labels")
        {
            Gradient = NnGrad.SparseSoftmaxCrossEntropyWithLogits,
            Shape = c =>
            {
                var t = c.RequireType(0, DataTypeExtensions.Floating);
                c.RequireType(1, [DataType.Int32, DataType.Int64]);
                c.RequireRank(0, 2);
                c.RequireRank(1, 1);
                var logits = c.InputShape(0);
                var labels = c.InputShape(1);
                int batch = logits.IsUnknownRank ? -1 : logits[0];
                if (!labels.IsUnknownRank && batch >= 0 && labels[0] >= 0 && labels[0] != batch)
                    throw c.Error($"logits and labels must have the same first dimension: logits {c.Input(0).name} has shape {logits}, labels {c.Input(1).name} has shape {labels}.");
                if (batch < 0 && !labels.IsUnknownRank) batch = labels[0];
                return [new(t, new TensorShape(batch)), new(t, logits.IsUnknownRank ? TensorShape.UnknownOfRank(2) : logits.WithDim(0, batch))];
            },
        });
        OpRegistry.Register(new OpDef("L2Loss", "t")
        {
            Gradient = NnGrad.L2Loss,
            Shape = c => c.One(c.RequireType(0, DataTypeExtensions.Floating), TensorShape.Scalar),
        });
        OpRegistry.Register(new OpDef("InTopKV2", "predictions", "targets", "k")
        {
            Gradient = Gradients.None,
            Shape = c =>
            {
                c.RequireType(0, [DataType.Float32]);
                c.RequireType(1, [DataType.Int32, DataType.Int64]);
                c.RequireRank(0, 2);
                c.RequireRank(1, 1);
                var p = c.InputShape(0);
                return c.One(DataType.Bool, new TensorShape(p.IsUnknownRank ? -1 : p[0]));
            },
        });
        OpRegistry.Register(new OpDef("CheckNumerics", "tensor")
        {
            IsStateful = true,
            Gradient = NnGrad.CheckNumerics,
            Shape = c => c.One(c.RequireType(0, DataTypeExtensions.Floating), c.InputShape(0)),
        });
        OpRegistry.Register(new OpDef("Floor", "x") { Gradient = Gradients.None, Shape = Shapes.Unary(DataTypeExtensions.Floating) });
    }
}
