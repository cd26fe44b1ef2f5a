namespace DataflowNet.Kernels;

/// <summary>
/// Run-time checks of the array kernels whose output count is an attribute, in TensorFlow's words: one place for the
/// CPU and GPU kernels. The shape functions make them when the shapes are known; these catch fed shapes.
/// </summary>
internal static class ArrayChecks
{
    /// <summary>Unpack makes one output per slice along the axis: the axis must have exactly <c>num</c> of them.</summary>
    public static void UnpackCount(KernelContext ctx, TensorValue x, int axis)
    {
        int num = ctx.Attr<int>("num");
        if (x.Dims[axis] != num) throw ctx.Error($"Input shape axis {axis} must equal {num}, got shape {TensorShape.Format(x.Dims)}.");
    }

    /// <summary>
    /// Select's (TensorFlow 1's tf.where) condition seen with dims that broadcast to t's: itself when it is a scalar or
    /// has t's shape, [n, 1, …] for a vector choosing rows. t and e must have one shape.
    /// </summary>
    public static int[] SelectConditionDims(KernelContext ctx, TensorValue cond, TensorValue t, TensorValue e)
    {
        if (!t.Dims.AsSpan().SequenceEqual(e.Dims))
            throw ctx.Error($"'then' and 'else' must have the same size. but received: {TensorShape.Format(t.Dims)} vs. {TensorShape.Format(e.Dims)}");
        if (cond.ndim == 0 || cond.Dims.AsSpan().SequenceEqual(t.Dims)) return cond.Dims;
        if (cond.ndim == 1 && t.ndim > 1 && cond.Dims[0] == t.Dims[0])
        {
            var dims = new int[t.ndim];
            Array.Fill(dims, 1);
            dims[0] = cond.Dims[0];
            return dims;
        }
        throw ctx.Error($"condition must be a scalar, a vector of size {(t.ndim > 0 ? t.Dims[0] : 0)} or of shape {TensorShape.Format(t.Dims)}, got shape {TensorShape.Format(cond.Dims)}.");
    }

    /// <summary>SplitV makes one output per size: there must be <c>num_split</c> of them.</summary>
    public static void SplitSizesCount(KernelContext ctx, int sizes)
    {
        int num = ctx.Attr<int>("num_split");
        if (sizes != num) throw ctx.Error($"size_splits has {sizes} entries, expected num_split = {num}.");
    }
}
