namespace DataflowNet;

/// <summary>Sources of values: constants, placeholders, fills, ranges, and the shape queries.</summary>
internal static class ConstantOps
{
    public static void Register()
    {
        OpRegistry.Register(new OpDef("Const")
        { Gradient = ArrayGrad.Of("Const"),
            Shape = c =>
            {
                var v = c.Attr<TensorValue>("value");
                return c.One(v.dtype, TensorShape.Wrap(v.shape));
            },
        });
        OpRegistry.Register(new OpDef("Placeholder")
        { Gradient = ArrayGrad.Of("Placeholder"),
            Attrs = { ["shape"] = TensorShape.Unknown },
            Shape = c => c.One(c.Attr<DataType>("dtype"), c.Attr<TensorShape>("shape")),
        });
        OpRegistry.Register(new OpDef("PlaceholderWithDefault", "input")
        { Gradient = ArrayGrad.Of("PlaceholderWithDefault"),
            Shape = c =>
            {
                var shape = c.Attr<TensorShape>("shape");
                if (c.InputType(0) != c.Attr<DataType>("dtype"))
                    throw c.Error($"Default value has dtype {c.InputType(0).Name()}, expected {c.Attr<DataType>("dtype").Name()}.");
                if (!shape.IsCompatibleWith(c.InputShape(0)))
                    throw c.Error($"Default value shape {c.InputShape(0)} is incompatible with the placeholder shape {shape}.");
                return c.One(c.InputType(0), shape);
            },
        });
        OpRegistry.Register(new OpDef("Identity", "input") { Gradient = ArrayGrad.Of("Identity"), Shape = c => c.One(c.InputType(0), c.InputShape(0)) });
        OpRegistry.Register(new OpDef("StopGradient", "input") { Gradient = ArrayGrad.Of("StopGradient"), Shape = c => c.One(c.InputType(0), c.InputShape(0)) });
        OpRegistry.Register(new OpDef("NoOp") { Gradient = ArrayGrad.Of("NoOp"), Shape = _ => [] });
        OpRegistry.Register(new OpDef("Fill", "dims", "value")
        { Gradient = ArrayGrad.Of("Fill"),
            Shape = c =>
            {
                c.RequireType(0, [DataType.Int32, DataType.Int64]);
                c.RequireRank(0, 1);
                if (!c.InputShape(1).IsUnknownRank && c.InputShape(1).Rank != 0)
                    throw c.Error($"value must be a scalar, got shape {c.InputShape(1)}.");
                return c.One(c.InputType(1), c.ShapeFromInput(0));
            },
        });
        OpRegistry.Register(new OpDef("ZerosLike", "x") { Gradient = ArrayGrad.Of("ZerosLike"), Shape = c => c.One(c.InputType(0), c.InputShape(0)) });
        OpRegistry.Register(new OpDef("OnesLike", "x") { Gradient = ArrayGrad.Of("OnesLike"), Shape = c => c.One(c.InputType(0), c.InputShape(0)) });
        OpRegistry.Register(new OpDef("Range", "start", "limit", "delta")
        { Gradient = ArrayGrad.Of("Range"),
            Shape = c =>
            {
                var t = c.SameType(0, 1, 2);
                c.RequireType(0, DataTypeExtensions.Signed);
                var (s, l, d) = (c.ConstantValue(0), c.ConstantValue(1), c.ConstantValue(2));
                if (s is null || l is null || d is null) return c.One(t, TensorShape.UnknownOfRank(1));
                double start = s.item<double>(), limit = l.item<double>(), delta = d.item<double>();
                if (delta == 0) throw c.Error("Requires delta != 0.");
                if (delta > 0 ? start > limit : start < limit)
                    throw c.Error($"Requires start <= limit when delta > 0 (start {start}, limit {limit}, delta {delta}).");
                return c.One(t, new TensorShape(RangeLength(t, start, limit, delta)));
            },
        });
        OpRegistry.Register(new OpDef("LinSpace", "start", "stop", "num")
        { Gradient = ArrayGrad.Of("LinSpace"),
            Shape = c =>
            {
                var t = c.SameType(0, 1);
                c.RequireType(0, DataTypeExtensions.Floating);
                var n = c.ConstInt(2);
                if (n is <= 0) throw c.Error($"Requires num > 0, got {n}.");
                return c.One(t, new TensorShape(n ?? -1));
            },
        });
        OpRegistry.Register(new OpDef("Shape", "input")
        { Gradient = ArrayGrad.Of("Shape"),
            Attrs = { ["out_type"] = DataType.Int32 },
            Shape = c => c.One(c.Attr<DataType>("out_type"), new TensorShape(c.InputShape(0).Rank)),
        });
        OpRegistry.Register(new OpDef("Size", "input")
        { Gradient = ArrayGrad.Of("Size"),
            Attrs = { ["out_type"] = DataType.Int32 },
            Shape = c => c.One(c.Attr<DataType>("out_type"), TensorShape.Scalar),
        });
        OpRegistry.Register(new OpDef("Rank", "input") { Gradient = ArrayGrad.Of("Rank"), Shape = c => c.One(DataType.Int32, TensorShape.Scalar) });
    }

    /// <summary>
    /// Element count of range(start, limit, delta): ceil(|limit - start| / |delta|), computed in the element type as
    /// TensorFlow does (range(0, 0.3, 0.1) in float32 has 3 elements: 0.3f / 0.1f rounds to exactly 3).
    /// </summary>
    internal static int RangeLength(DataType t, double start, double limit, double delta) =>
        t.IsInteger()
            ? (int)((Math.Abs((long)limit - (long)start) + Math.Abs((long)delta) - 1) / Math.Abs((long)delta))
            : t == DataType.Float32
                ? (int)MathF.Ceiling(MathF.Abs(((float)limit - (float)start) / (float)delta))
                : (int)Math.Ceiling(Math.Abs((limit - start) / delta));
}
