namespace DataflowNet;

/// <summary>
/// The checks every kernel that writes a variable makes first, in TensorFlow's words. One place, so the CPU kernels,
/// the fused chains and the GPU kernels reject a bad write with the same message.
/// </summary>
internal static class VariableWrites
{
    /// <summary>Assign: the value must fit the variable's declared shape.</summary>
    public static void CheckAssign(KernelContext ctx, VariableCell cell, ReadOnlySpan<int> dims)
    {
        var declared = cell.Variable.outputs[0].shape;
        if (!declared.Accepts(dims))
            throw ctx.Error($"Assign requires shapes of both tensors to match. lhs shape= {declared} rhs shape= {TensorShape.Format(dims)}");
    }

    /// <summary>AssignAdd and AssignSub: the variable's current value, which must have the update's shape.</summary>
    public static TensorValue ReadForUpdate(KernelContext ctx, VariableCell cell, TensorValue delta)
    {
        var old = ctx.Run.ReadVariable(cell);
        if (!old.Dims.AsSpan().SequenceEqual(delta.Dims))
            throw ctx.Error($"Shapes must be equal: variable {cell.Variable.name} has shape {TensorShape.Format(old.Dims)}, the update has shape {TensorShape.Format(delta.Dims)}.");
        return old;
    }

    /// <summary>The Apply* ops: the variable's current value, which must have the gradient's shape.</summary>
    public static TensorValue ReadForGradient(KernelContext ctx, VariableCell cell, TensorValue grad)
    {
        var current = ctx.Run.ReadVariable(cell);
        if (!grad.Dims.AsSpan().SequenceEqual(current.Dims))
            throw ctx.Error($"var and grad do not have the same shape: {TensorShape.Format(current.Dims)} vs {TensorShape.Format(grad.Dims)}.");
        return current;
    }
}
