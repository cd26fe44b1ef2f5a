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

    /// <summary>SplitV makes one output per size: there must be <c>num_split</c> of them.</summary>
    public static void SplitSizesCount(KernelContext ctx, int sizes)
    {
        int num = ctx.Attr<int>("num_split");
        if (sizes != num) throw ctx.Error($"size_splits has {sizes} entries, expected num_split = {num}.");
    }
}
