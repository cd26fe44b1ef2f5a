namespace DataflowNet;

/// <summary>
/// TensorFlow's raw update ops. Each takes its variable (and slot variables) by reference and updates them in one
/// kernel, following TensorFlow 1's exact rules, so ported training reproduces TensorFlow's numbers.
/// </summary>
internal static class TrainingOps
{
    public static void Register()
    {
        Apply("ApplyGradientDescent", ["var", "alpha", "delta"], refs: [0]);
        Apply("ApplyMomentum", ["var", "accum", "lr", "grad", "momentum"], refs: [0, 1], new() { ["use_nesterov"] = false });
        Apply("ApplyAdam", ["var", "m", "v", "beta1_power", "beta2_power", "lr", "beta1", "beta2", "epsilon", "grad"], refs: [0, 1, 2], new() { ["use_nesterov"] = false });
        Apply("ApplyAdagrad", ["var", "accum", "lr", "grad"], refs: [0, 1], new() { ["update_slots"] = true });
        Apply("ApplyRMSProp", ["var", "ms", "mom", "lr", "rho", "momentum", "epsilon", "grad"], refs: [0, 1, 2]);
    }

    private static void Apply(string type, string[] inputs, int[] refs, Dictionary<string, object>? attrs = null)
    {
        var gradIndex = Array.IndexOf(inputs, inputs.Contains("grad") ? "grad" : "delta");
        var attributes = attrs ?? new();
        attributes["use_locking"] = false;
        OpRegistry.Register(new OpDef(type, inputs)
        {
            Attrs = attributes,
            IsStateful = true,
            WritesVariable = true,
            RefInputs = refs,
            Gradient = Gradients.None,
            Shape = c =>
            {
                foreach (var r in refs)
                    if (c.Input(r).op.type != "VariableV2")
                        throw c.Error($"Input '{inputs[r]}' must be a variable, but {c.Input(r).name} is produced by a {c.Input(r).op.type} op.");
                var t = c.RequireType(0, DataTypeExtensions.Floating);
                for (int i = 1; i < c.NumInputs; i++)
                    if (c.InputType(i) != t)
                        throw c.Error($"Input '{inputs[i]}' ({c.Input(i).name}) has dtype {c.InputType(i).Name()}, but the variable {c.Input(0).name} is {t.Name()}.");
                foreach (var i in refs.Append(gradIndex))
                    if (!c.InputShape(0).IsCompatibleWith(c.InputShape(i)))
                        throw c.Error($"Shapes must match: var {c.Input(0).name} has shape {c.InputShape(0)}, '{inputs[i]}' ({c.Input(i).name}) has shape {c.InputShape(i)}.");
                for (int i = 0; i < c.NumInputs; i++)
                    if (i != gradIndex && Array.IndexOf(refs, i) < 0 && !c.InputShape(i).IsUnknownRank && c.InputShape(i).Rank != 0)
                        throw c.Error($"Input '{inputs[i]}' ({c.Input(i).name}) must be a scalar, got shape {c.InputShape(i)}.");
                return c.One(t, c.InputShape(0));
            },
        });
    }
}
