namespace DataflowNet;

/// <summary>Elementwise arithmetic, comparisons, logic, casts, matmul and reductions.</summary>
internal static class MathOps
{
    internal static readonly string[] NumericUnary = ["Neg", "Abs", "Sign", "Square"];
    internal static readonly string[] FloatUnary = ["Sqrt", "Rsqrt", "Exp", "Log", "Log1p", "Sin", "Cos", "Tanh", "Sigmoid", "Reciprocal"];
    internal static readonly string[] NumericBinary = ["AddV2", "Sub", "Mul", "Maximum", "Minimum", "FloorDiv", "FloorMod", "SquaredDifference"];
    internal static readonly string[] FloatBinary = ["RealDiv"];
    /// <summary>Pow's types, as TensorFlow's: integers too (a negative integer exponent is a run-time error).</summary>
    internal static readonly DataType[] PowTypes = [DataType.Float32, DataType.Float64, DataType.Int32, DataType.Int64];
    internal static readonly string[] Comparisons = ["Less", "LessEqual", "Greater", "GreaterEqual"];
    internal static readonly string[] Reductions = ["Sum", "Mean", "Max", "Min", "Prod"];

    public static void Register()
    {
        foreach (var t in NumericUnary) OpRegistry.Register(new OpDef(t, "x") { Gradient = MathGrad.Of(t), Shape = Shapes.Unary(DataTypeExtensions.Numeric) });
        foreach (var t in FloatUnary) OpRegistry.Register(new OpDef(t, "x") { Gradient = MathGrad.Of(t), Shape = Shapes.Unary(DataTypeExtensions.Floating) });
        foreach (var t in NumericBinary) OpRegistry.Register(new OpDef(t, "x", "y") { Gradient = MathGrad.Of(t), Shape = Shapes.Binary(DataTypeExtensions.Numeric) });
        // TensorFlow's older Add (graphs written before AddV2): the same semantics, and the same kernel.
        OpRegistry.Register(new OpDef("Add", "x", "y") { Gradient = MathGrad.Of("AddV2"), Shape = Shapes.Binary([.. DataTypeExtensions.Numeric, DataType.String]) });
        foreach (var t in FloatBinary) OpRegistry.Register(new OpDef(t, "x", "y") { Gradient = MathGrad.Of(t), Shape = Shapes.Binary(DataTypeExtensions.Floating) });
        OpRegistry.Register(new OpDef("Pow", "x", "y") { Gradient = MathGrad.Of("Pow"), Shape = Shapes.Binary(PowTypes) });
        foreach (var t in Comparisons) OpRegistry.Register(new OpDef(t, "x", "y") { Gradient = MathGrad.Of(t), Shape = Shapes.Compare(DataTypeExtensions.Numeric) });
        foreach (var t in new[] { "Equal", "NotEqual" })
            OpRegistry.Register(new OpDef(t, "x", "y") { Gradient = MathGrad.Of(t), Shape = Shapes.Compare(DataTypeExtensions.All) });
        foreach (var t in new[] { "LogicalAnd", "LogicalOr" })
            OpRegistry.Register(new OpDef(t, "x", "y") { Gradient = MathGrad.Of(t), Shape = Shapes.Binary([DataType.Bool]) });
        OpRegistry.Register(new OpDef("LogicalNot", "x") { Gradient = MathGrad.Of("LogicalNot"), Shape = Shapes.Unary([DataType.Bool]) });

        OpRegistry.Register(new OpDef("Cast", "x")
        { Gradient = MathGrad.Of("Cast"),
            Attrs = { ["Truncate"] = false },
            Shape = c =>
            {
                var dst = c.Attr<DataType>("DstT");
                if ((c.InputType(0) == DataType.String) != (dst == DataType.String))
                    throw c.Error($"Cast from {c.InputType(0).Name()} to {dst.Name()} is not supported.");
                return c.One(dst, c.InputShape(0));
            },
        });

        OpRegistry.Register(new OpDef("AddN", "inputs*")
        { Gradient = MathGrad.Of("AddN"),
            Shape = c =>
            {
                if (c.NumInputs == 0) throw c.Error("AddN needs at least one input.");
                var t = c.SameType(Enumerable.Range(0, c.NumInputs).ToArray());
                c.RequireType(0, DataTypeExtensions.Numeric);
                var shape = c.InputShape(0);
                for (int i = 1; i < c.NumInputs; i++)
                    shape = shape.MergeWith(c.InputShape(i))
                        ?? throw c.Error($"Inputs to AddN must all have the same shape: {c.InputShape(0)} vs {c.InputShape(i)} (input {c.Input(i).name}).");
                return c.One(t, shape);
            },
        });

        OpRegistry.Register(new OpDef("MatMul", "a", "b")
        { Gradient = MathGrad.Of("MatMul"),
            Attrs = { ["transpose_a"] = false, ["transpose_b"] = false },
            Shape = c =>
            {
                var t = c.SameType(0, 1);
                c.RequireType(0, DataTypeExtensions.Numeric);
                c.RequireRank(0, 2);
                c.RequireRank(1, 2);
                var (a, b) = (c.InputShape(0), c.InputShape(1));
                if (a.IsUnknownRank || b.IsUnknownRank) return c.One(t, TensorShape.UnknownOfRank(2));
                bool ta = c.Attr<bool>("transpose_a"), tb = c.Attr<bool>("transpose_b");
                int m = ta ? a[1] : a[0], ka = ta ? a[0] : a[1], kb = tb ? b[1] : b[0], n = tb ? b[0] : b[1];
                if (ka >= 0 && kb >= 0 && ka != kb)
                    throw c.Error($"Dimensions must be equal, but are {ka} and {kb} for MatMul with input shapes {a}, {b} " +
                                  $"(transpose_a={ta}, transpose_b={tb}; a = {c.Input(0).name}, b = {c.Input(1).name}).");
                return c.One(t, new TensorShape(m, n));
            },
        });

        OpRegistry.Register(new OpDef("BatchMatMulV2", "x", "y")
        { Gradient = MathGrad.Of("BatchMatMulV2"),
            Attrs = { ["adj_x"] = false, ["adj_y"] = false },
            Shape = c =>
            {
                var t = c.SameType(0, 1);
                c.RequireType(0, DataTypeExtensions.Numeric);
                var (a, b) = (c.InputShape(0), c.InputShape(1));
                if (a.IsUnknownRank || b.IsUnknownRank) return c.One(t, TensorShape.Unknown);
                if (a.Rank < 2 || b.Rank < 2) throw c.Error($"BatchMatMul needs inputs of rank >= 2, got {a} and {b}.");
                bool ax = c.Attr<bool>("adj_x"), ay = c.Attr<bool>("adj_y");
                int m = ax ? a[-1] : a[-2], ka = ax ? a[-2] : a[-1], kb = ay ? b[-1] : b[-2], n = ay ? b[-2] : b[-1];
                if (ka >= 0 && kb >= 0 && ka != kb)
                    throw c.Error($"Dimensions must be equal, but are {ka} and {kb} for BatchMatMul with input shapes {a}, {b}.");
                var batch = Shapes.Broadcast(new TensorShape(a.Dims[..^2]), new TensorShape(b.Dims[..^2]))
                    ?? throw c.Error($"Batch dimensions of {a} and {b} cannot be broadcast together.");
                return c.One(t, new TensorShape([.. batch.Dims, m, n]));
            },
        });

        foreach (var type in Reductions)
            OpRegistry.Register(new OpDef(type, "input", "reduction_indices")
            { Gradient = MathGrad.Of(type),
                Attrs = { ["keep_dims"] = false },
                Shape = c =>
                {
                    var t = c.RequireType(0, DataTypeExtensions.Numeric);
                    c.RequireType(1, [DataType.Int32, DataType.Int64]);
                    return c.One(t, Shapes.Reduce(c, c.InputShape(0), c.ConstInts(1), c.Attr<bool>("keep_dims")));
                },
            });
        foreach (var type in new[] { "All", "Any" })
            OpRegistry.Register(new OpDef(type, "input", "reduction_indices")
            { Gradient = MathGrad.Of(type),
                Attrs = { ["keep_dims"] = false },
                Shape = c => c.One(c.RequireType(0, [DataType.Bool]), Shapes.Reduce(c, c.InputShape(0), c.ConstInts(1), c.Attr<bool>("keep_dims"))),
            });

        foreach (var type in new[] { "ArgMax", "ArgMin" })
            OpRegistry.Register(new OpDef(type, "input", "dimension")
            { Gradient = MathGrad.Of(type),
                Attrs = { ["output_type"] = DataType.Int64 },
                Shape = c =>
                {
                    c.RequireType(0, DataTypeExtensions.Numeric);
                    var axis = c.ConstInt(1);
                    var shape = axis is null ? TensorShape.Unknown : Shapes.Reduce(c, c.InputShape(0), [axis.Value], false);
                    return c.One(c.Attr<DataType>("output_type"), shape);
                },
            });

        // TensorFlow 1's Select (tf.where): t and e of one shape; the condition that shape, a scalar, or a vector
        // choosing whole rows (its length the first dimension).
        OpRegistry.Register(new OpDef("Select", "condition", "t", "e")
        { Gradient = MathGrad.Of("Select"),
            Shape = c =>
            {
                c.RequireType(0, [DataType.Bool]);
                var t = c.SameType(1, 2);
                var shape = c.InputShape(1).MergeWith(c.InputShape(2))
                    ?? throw c.Error($"'t' and 'e' must have the same shape: {c.InputShape(1)} vs {c.InputShape(2)} ({c.Input(1).name}, {c.Input(2).name}).");
                var cond = c.InputShape(0);
                if (!cond.IsUnknownRank && !shape.IsUnknownRank && cond.Rank != 0 && !cond.IsCompatibleWith(shape)
                    && !(cond.Rank == 1 && shape.Rank > 1 && (cond[0] < 0 || shape[0] < 0 || cond[0] == shape[0])))
                    throw c.Error($"condition {c.Input(0).name} of shape {cond} must be a scalar, a vector of the first dimension of, or the shape of 't' and 'e' {shape}.");
                return c.One(t, shape);
            },
        });
        OpRegistry.Register(new OpDef("SelectV2", "condition", "t", "e")
        { Gradient = MathGrad.Of("SelectV2"),
            Shape = c =>
            {
                c.RequireType(0, [DataType.Bool]);
                var t = c.SameType(1, 2);
                var te = Shapes.BroadcastOrFail(c, 1, 2);
                var all = Shapes.Broadcast(c.InputShape(0), te)
                    ?? throw c.Error($"condition shape {c.InputShape(0)} cannot be broadcast with {te}.");
                return c.One(t, all);
            },
        });
    }
}
