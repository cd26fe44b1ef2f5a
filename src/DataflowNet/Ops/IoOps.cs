namespace DataflowNet;

/// <summary>
/// Checkpoint ops, as TensorFlow's: SaveV2 writes tensors to a V2 checkpoint (a tensor bundle) and RestoreV2 reads
/// them back. A <see cref="Saver"/> builds them under its <c>save/</c> scope; a graph file that holds them reads as
/// TensorFlow's does.
/// </summary>
internal static class IoOps
{
    public static void Register()
    {
        OpRegistry.Register(new OpDef("SaveV2", "prefix", "tensor_names", "shape_and_slices", "tensors*")
        { Gradient = Gradients.None,
            IsStateful = true,
            Shape = c =>
            {
                CheckNames(c);
                var dtypes = c.Attr<DataType[]>("dtypes");
                if (c.NumInputs - 3 != dtypes.Length)
                    throw c.Error($"SaveV2 has {c.NumInputs - 3} tensors but its attribute dtypes lists {dtypes.Length}.");
                for (int i = 0; i < dtypes.Length; i++)
                    if (c.InputType(3 + i) != dtypes[i])
                        throw c.Error($"Input '{c.Op.Def.InputName(3 + i)}' ({c.Input(3 + i).name}) has dtype {c.InputType(3 + i).Name()}, but dtypes[{i}] is {dtypes[i].Name()}.");
                return [];
            },
        });
        OpRegistry.Register(new OpDef("RestoreV2", "prefix", "tensor_names", "shape_and_slices")
        { Gradient = Gradients.None,
            IsStateful = true,
            Shape = c =>
            {
                CheckNames(c);
                return c.Attr<DataType[]>("dtypes").Select(t => new OutputSpec(t, TensorShape.Unknown)).ToArray();
            },
        });
    }

    private static void CheckNames(InferenceContext c)
    {
        for (int i = 0; i < 3; i++)
            if (c.InputType(i) != DataType.String)
                throw c.Error($"Input '{c.Op.Def.InputName(i)}' ({c.Input(i).name}) must be a string tensor, got {c.InputType(i).Name()}.");
        c.RequireRank(0, 0);
        c.RequireRank(1, 1);
        c.RequireRank(2, 1);
        var dtypes = c.Attr<DataType[]>("dtypes");
        foreach (var i in new[] { 1, 2 })
        {
            var s = c.InputShape(i);
            if (!s.IsUnknownRank && s.Dims[0] >= 0 && s.Dims[0] != dtypes.Length)
                throw c.Error($"Input '{c.Op.Def.InputName(i)}' ({c.Input(i).name}) has {s.Dims[0]} entries, but dtypes lists {dtypes.Length} tensors.");
        }
    }
}
