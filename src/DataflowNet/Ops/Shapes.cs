namespace DataflowNet;

/// <summary>Shape functions shared by many ops.</summary>
internal static class Shapes
{
    /// <summary>NumPy broadcasting of two static shapes; unknown dims stay unknown unless the other side fixes them.</summary>
    public static TensorShape? Broadcast(TensorShape a, TensorShape b)
    {
        if (a.IsUnknownRank || b.IsUnknownRank) return TensorShape.Unknown;
        int rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Rank ? 1 : a.Dims[i - (rank - a.Rank)];
            int db = i < rank - b.Rank ? 1 : b.Dims[i - (rank - b.Rank)];
            if (da == 1) dims[i] = db;
            else if (db == 1) dims[i] = da;
            else if (da == -1) dims[i] = db == -1 ? -1 : db;
            else if (db == -1) dims[i] = da;
            else if (da == db) dims[i] = da;
            else return null;
        }
        return new TensorShape(dims);
    }

    public static TensorShape BroadcastOrFail(InferenceContext c, int x, int y)
    {
        var s = Broadcast(c.InputShape(x), c.InputShape(y));
        return s ?? throw c.Error($"Incompatible shapes: {c.InputShape(x)} and {c.InputShape(y)} cannot be broadcast together " +
                                  $"(inputs '{c.Op.Def.InputName(x)}' = {c.Input(x).name} and '{c.Op.Def.InputName(y)}' = {c.Input(y).name}).");
    }

    /// <summary>Same dtype (one of <paramref name="types"/>) and shape as the single input.</summary>
    public static Func<InferenceContext, OutputSpec[]> Unary(DataType[] types) =>
        c => c.One(c.RequireType(0, types), c.InputShape(0));

    /// <summary>Broadcasting binary op whose output has the inputs' dtype.</summary>
    public static Func<InferenceContext, OutputSpec[]> Binary(DataType[] types) => c =>
    {
        var t = c.SameType(0, 1);
        c.RequireType(0, types);
        return c.One(t, BroadcastOrFail(c, 0, 1));
    };

    /// <summary>Broadcasting comparison: bool output.</summary>
    public static Func<InferenceContext, OutputSpec[]> Compare(DataType[] types) => c =>
    {
        c.SameType(0, 1);
        c.RequireType(0, types);
        return c.One(DataType.Bool, BroadcastOrFail(c, 0, 1));
    };

    /// <summary>Output shape of a reduction over <paramref name="axes"/> (null: axes unknown at build time).</summary>
    public static TensorShape Reduce(InferenceContext c, TensorShape input, int[]? axes, bool keepDims)
    {
        if (input.IsUnknownRank) return TensorShape.Unknown;
        if (axes is null) return keepDims ? TensorShape.UnknownOfRank(input.Rank) : TensorShape.Unknown;
        var reduce = new bool[input.Rank];
        foreach (var a in axes) ShapeUtil.MarkReducedAxis(a, reduce, c.Error);
        var dims = new List<int>();
        for (int i = 0; i < input.Rank; i++)
            if (!reduce[i]) dims.Add(input.Dims[i]);
            else if (keepDims) dims.Add(1);
        return new TensorShape(dims.ToArray());
    }
}
