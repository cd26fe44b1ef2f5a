namespace DataflowNet;

/// <summary>Variables and the ops that write them.</summary>
internal static class StateOps
{
    public static void Register()
    {
        OpRegistry.Register(new OpDef("VariableV2")
        { Gradient = Gradients.None,
            Attrs = { ["container"] = "", ["shared_name"] = "" },
            IsStateful = true,
            Shape = c => c.One(c.Attr<DataType>("dtype"), c.Attr<TensorShape>("shape")),
        });
        OpRegistry.Register(new OpDef("Assign", "ref", "value")
        { Gradient = Gradients.None,
            Attrs = { ["validate_shape"] = true, ["use_locking"] = true },
            IsStateful = true,
            WritesVariable = true,
            RefInputs = [0],
            Shape = c =>
            {
                RequireVariable(c);
                var t = c.SameType(0, 1);
                if (c.Attr<bool>("validate_shape") && !c.InputShape(0).IsCompatibleWith(c.InputShape(1)))
                    throw c.Error($"Shapes must be equal: variable {c.Input(0).name} has shape {c.InputShape(0)}, the value has shape {c.InputShape(1)}.");
                return c.One(t, c.Attr<bool>("validate_shape") ? c.InputShape(0) : c.InputShape(1));
            },
        });
        foreach (var type in new[] { "AssignAdd", "AssignSub" })
            OpRegistry.Register(new OpDef(type, "ref", "value")
            { Gradient = Gradients.None,
                Attrs = { ["use_locking"] = false },
                IsStateful = true,
                WritesVariable = true,
                RefInputs = [0],
                Shape = c =>
                {
                    RequireVariable(c);
                    var t = c.SameType(0, 1);
                    c.RequireType(0, DataTypeExtensions.Numeric);
                    if (!c.InputShape(0).IsCompatibleWith(c.InputShape(1)))
                        throw c.Error($"Shapes must be equal: variable {c.Input(0).name} has shape {c.InputShape(0)}, the value has shape {c.InputShape(1)}.");
                    return c.One(t, c.InputShape(0));
                },
            });
    }

    private static void RequireVariable(InferenceContext c)
    {
        if (c.Input(0).op.type != "VariableV2")
            throw c.Error($"Input 'ref' must be a variable, but {c.Input(0).name} is produced by a {c.Input(0).op.type} op.");
    }
}
