namespace DataflowNet.Kernels.Cpu;

/// <summary>
/// The control-flow ops move values without touching them; which output lives, and in which frame and iteration a
/// value arrives, is the executor's business (<see cref="ControlFlowExecutor"/>).
/// </summary>
internal static class ControlFlowKernels
{
    public static void Register(KernelRegistry r)
    {
        // The output the predicate picks gets the data; the other stays unset, which the executor reads as dead.
        r.Register("Switch", null, ctx =>
        {
            var pred = ctx.Input(1);
            if (pred.size != 1) throw ctx.Error($"The predicate must be a scalar, but has shape {TensorShape.Format(pred.Dims)}.");
            ctx.SetOutput(pred.item<bool>() ? 1 : 0, ctx.Input(0));
        });
        // The executor hands a Merge only its live input; the others are null.
        r.Register("Merge", null, ctx =>
        {
            for (int i = 0; i < ctx.NumInputs; i++)
            {
                if (ctx.Inputs[i] is not { } live) continue;
                ctx.SetOutput(0, live);
                ctx.AllocateUninitializedOutput(1, []).Buffer<int>()[0] = i;
                return;
            }
            throw ctx.Error("Merge ran with no live input.");
        });
        foreach (var type in new[] { "Enter", "Exit", "NextIteration", "LoopCond" })
            r.Register(type, null, ctx => ctx.SetOutput(0, ctx.Input(0)));
    }
}
