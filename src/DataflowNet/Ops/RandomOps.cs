namespace DataflowNet;

/// <summary>Seeded random sources. Stateful: each run draws new numbers; a new session replays the same sequence.</summary>
internal static class RandomOps
{
    public static void Register()
    {
        foreach (var t in new[] { "RandomStandardNormal", "TruncatedNormal", "RandomUniform" })
            OpRegistry.Register(new OpDef(t, "shape")
            { Gradient = Gradients.None,
                Attrs = { ["seed"] = 0, ["seed2"] = 0, ["dtype"] = DataType.Float32 },
                IsStateful = true,
                Shape = c =>
                {
                    c.RequireType(0, [DataType.Int32, DataType.Int64]);
                    c.RequireRank(0, 1);
                    var dt = c.Attr<DataType>("dtype");
                    if (!dt.IsFloating()) throw c.Error($"dtype must be float32 or float64, got {dt.Name()}.");
                    return c.One(dt, c.ShapeFromInput(0));
                },
            });
        OpRegistry.Register(new OpDef("RandomShuffle", "value")
        { Gradient = Gradients.None,
            Attrs = { ["seed"] = 0, ["seed2"] = 0 },
            IsStateful = true,
            Shape = c => c.One(c.InputType(0), c.InputShape(0)),
        });
    }
}
