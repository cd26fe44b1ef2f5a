namespace DataflowNet;

/// <summary>Values known at build time, so shape functions can use a constant shape, axis or count.</summary>
internal static class ConstantFolding
{
    public static TensorValue? TryEvaluate(Tensor t)
    {
        var op = t.op;
        switch (op.type)
        {
            case "Const":
                return op.get_attr<TensorValue>("value");
            case "Identity":
                return TryEvaluate(op.inputs[0]);
            case "Shape" when op.inputs[0].shape.IsFullyDefined:
                return Kernels.Cpu.SourceKernels.ShapeValue(op.inputs[0].shape.Dims, op.get_attr<DataType>("out_type"));
            case "Pack":
                var parts = op.inputs.Select(TryEvaluate).ToArray();
                if (parts.Any(p => p is null || p.ndim != 0)) return null;
                if (op.outputs[0].dtype == DataType.Int32) return TensorValue.Create(parts.Select(p => p!.item<int>()).ToArray(), parts.Length);
                if (op.outputs[0].dtype == DataType.Int64) return TensorValue.Create(parts.Select(p => p!.item<long>()).ToArray(), parts.Length);
                return null;
            default:
                return null;
        }
    }
}

internal static class InferenceExtensions
{
    /// <summary>An integer input known at build time, as ints (null when only known at run time).</summary>
    public static int[]? ConstInts(this InferenceContext c, int i)
    {
        var v = c.ConstantValue(i);
        if (v is null) return null;
        if (!v.dtype.IsInteger())
            throw c.Error($"Input '{c.Op.Def.InputName(i)}' must be an integer tensor, got {v.dtype.Name()}.");
        return v.ToArray<long>().Select(x => checked((int)x)).ToArray();
    }

    public static int? ConstInt(this InferenceContext c, int i)
    {
        var v = c.ConstInts(i);
        if (v is null) return null;
        if (v.Length != 1) throw c.Error($"Input '{c.Op.Def.InputName(i)}' must be a scalar, got {v.Length} values.");
        return v[0];
    }

    /// <summary>The static shape described by a shape-vector input: known dims where constant, else unknown.</summary>
    public static TensorShape ShapeFromInput(this InferenceContext c, int i)
    {
        var dims = c.ConstInts(i);
        if (dims is not null)
        {
            foreach (var d in dims)
                if (d < 0) throw c.Error($"Dimension {d} in the shape input '{c.Op.Def.InputName(i)}' must be >= 0.");
            return new TensorShape(dims);
        }
        var s = c.InputShape(i);
        return s.Rank == 1 && s[0] >= 0 ? TensorShape.UnknownOfRank(s[0]) : TensorShape.Unknown;
    }
}
