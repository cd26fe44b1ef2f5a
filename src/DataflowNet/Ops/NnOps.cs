namespace DataflowNet;

/// <summary>Activations, softmax and bias_add.</summary>
internal static class NnOps
{
    public static void Register()
    {
        foreach (var t in new[] { "Relu", "Relu6" })
            OpRegistry.Register(new OpDef(t, "features") { Gradient = NnGrad.Of(t), Shape = Shapes.Unary(DataTypeExtensions.Numeric) });
        OpRegistry.Register(new OpDef("LeakyRelu", "features") { Gradient = NnGrad.Of("LeakyRelu"), Attrs = { ["alpha"] = 0.2f }, Shape = Shapes.Unary(DataTypeExtensions.Floating) });
        foreach (var t in new[] { "Elu", "Softplus" })
            OpRegistry.Register(new OpDef(t, "features") { Gradient = NnGrad.Of(t), Shape = Shapes.Unary(DataTypeExtensions.Floating) });
        foreach (var t in new[] { "Softmax", "LogSoftmax" })
            OpRegistry.Register(new OpDef(t, "logits")
            { Gradient = NnGrad.Of(t),
                Shape = c =>
                {
                    var dt = c.RequireType(0, DataTypeExtensions.Floating);
                    var s = c.InputShape(0);
                    if (!s.IsUnknownRank && s.Rank < 1) throw c.Error($"logits must have rank >= 1, got shape {s} ({c.Input(0).name}).");
                    return c.One(dt, s);
                },
            });
        OpRegistry.Register(new OpDef("BiasAdd", "value", "bias")
        { Gradient = NnGrad.Of("BiasAdd"),
            Attrs = { ["data_format"] = "NHWC" },
            Shape = c =>
            {
                var t = c.SameType(0, 1);
                c.RequireType(0, DataTypeExtensions.Numeric);
                c.RequireRank(1, 1);
                var v = c.InputShape(0);
                var b = c.InputShape(1);
                if (v.IsUnknownRank) return c.One(t, v);
                if (v.Rank < 2) throw c.Error($"value must be at least rank 2, got shape {v} ({c.Input(0).name}).");
                var format = c.Attr<string>("data_format");
                if (format is not ("NHWC" or "NCHW")) throw c.Error($"data_format must be NHWC or NCHW, got '{format}'.");
                int channel = format == "NCHW" ? 1 : v.Rank - 1;
                if (!b.IsUnknownRank && v.Dims[channel] >= 0 && b.Dims[0] >= 0 && v.Dims[channel] != b.Dims[0])
                    throw c.Error($"Must provide as many biases as the channel dimension of the input tensor: bias has {b.Dims[0]} values, value {c.Input(0).name} has shape {v} ({format}).");
                return c.One(t, v);
            },
        });
    }
}
