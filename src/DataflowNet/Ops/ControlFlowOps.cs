namespace DataflowNet;

/// <summary>
/// TensorFlow 1's control-flow primitives, which tf.cond and tf.while_loop write into graphs. A Switch forwards
/// its data to one of two outputs and marks the other dead; deadness spreads to every op that takes a dead input,
/// which therefore does not run; a Merge forwards whichever input is alive. Enter, Exit and NextIteration move values
/// into a loop's frame, out of it, and into its next iteration; LoopCond marks a loop's predicate. The executor for
/// graphs with these ops is <see cref="ControlFlowExecutor"/>.
/// </summary>
internal static class ControlFlowOps
{
    public static readonly IReadOnlySet<string> Types = new HashSet<string> { "Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond" };

    public static void Register()
    {
        OpRegistry.Register(new OpDef("Switch", "data", "pred")
        { Gradient = ControlFlowGrad.Switch,
            Shape = c =>
            {
                RequireScalarBool(c, 1);
                var t = c.InputType(0);
                return [new(t, c.InputShape(0)), new(t, c.InputShape(0))];
            },
        });
        OpRegistry.Register(new OpDef("Merge", "inputs*")
        { Gradient = ControlFlowGrad.Merge,
            Shape = c =>
            {
                if (c.NumInputs == 0) throw c.Error("Merge needs at least one input.");
                var t = c.InputType(0);
                var shape = c.InputShape(0);
                for (int i = 1; i < c.NumInputs; i++)
                {
                    if (c.InputType(i) != t)
                        throw c.Error($"All inputs of Merge must have one dtype: input 0 ({c.Input(0).name}) is {t.Name()}, input {i} ({c.Input(i).name}) is {c.InputType(i).Name()}.");
                    shape = MostGeneral(shape, c.InputShape(i));
                }
                return [new(t, shape), new(DataType.Int32, TensorShape.Scalar)];
            },
        });
        OpRegistry.Register(new OpDef("Enter", "data")
        { Gradient = ControlFlowGrad.Loop,
            Attrs = { ["frame_name"] = "", ["is_constant"] = false, ["parallel_iterations"] = 10 },
            Shape = c =>
            {
                if (string.IsNullOrEmpty(c.Attr<string>("frame_name"))) throw c.Error("Enter needs a non-empty frame_name attribute.");
                return c.One(c.InputType(0), c.InputShape(0));
            },
        });
        foreach (var type in new[] { "Exit", "NextIteration" })
            OpRegistry.Register(new OpDef(type, "data") { Gradient = ControlFlowGrad.Loop, Shape = c => c.One(c.InputType(0), c.InputShape(0)) });
        OpRegistry.Register(new OpDef("LoopCond", "input")
        { Gradient = ControlFlowGrad.Loop,
            Shape = c =>
            {
                RequireScalarBool(c, 0);
                return c.One(DataType.Bool, TensorShape.Scalar);
            },
        });
    }

    private static void RequireScalarBool(InferenceContext c, int i)
    {
        if (c.InputType(i) != DataType.Bool)
            throw c.Error($"The predicate '{c.Op.Def.InputName(i)}' ({c.Input(i).name}) must be a bool scalar, but has dtype {c.InputType(i).Name()}.");
        var s = c.InputShape(i);
        if (!s.IsUnknownRank && s.Rank != 0)
            throw c.Error($"The predicate '{c.Op.Def.InputName(i)}' ({c.Input(i).name}) must be a bool scalar, but has shape {s}.");
    }

    /// <summary>The most specific shape that both shapes fit: dims that differ become unknown.</summary>
    internal static TensorShape MostGeneral(TensorShape a, TensorShape b)
    {
        if (a.IsUnknownRank || b.IsUnknownRank || a.Rank != b.Rank) return TensorShape.Unknown;
        var d = new int[a.Rank];
        for (int i = 0; i < d.Length; i++) d[i] = a.Dims[i] == b.Dims[i] ? a.Dims[i] : -1;
        return new TensorShape(d);
    }
}
