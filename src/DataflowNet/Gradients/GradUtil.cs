namespace DataflowNet;

/// <summary>Shape bookkeeping shared by gradient functions.</summary>
internal static class GradUtil
{
    /// <summary>
    /// Sums a broadcast gradient back to the shape of the input it flowed from: the axes broadcasting added or
    /// stretched are summed. Static when both shapes are known, else through BroadcastGradientArgs at run time.
    /// </summary>
    public static Tensor SumToShape(Tensor grad, Tensor input, Tensor? other = null)
    {
        var gs = grad.shape;
        var xs = input.shape;
        if (gs.IsFullyDefined && xs.IsFullyDefined)
        {
            if (gs.Equals(xs)) return grad;
            var axes = ReductionAxes(xs.Dims, gs.Dims);
            var summed = axes.Length == 0 ? grad : tf.reduce_sum(grad, axes, keepdims: true);
            return summed.shape.Equals(xs) ? summed : tf.reshape(summed, xs);
        }
        if (StaticAxes(xs, gs, other?.shape) is { } known)
        {
            // Decided at build time even with an unknown batch dimension: no BroadcastGradientArgs at run time.
            if (known.Length == 0 && xs.Rank == gs.Rank) return grad;
            var summed = known.Length == 0 ? grad : tf.reduce_sum(grad, known, keepdims: true);
            return xs.IsFullyDefined ? tf.reshape(summed, xs) : tf.reshape(summed, tf.shape(input));
        }
        var args = tf.OpN("BroadcastGradientArgs", [tf.shape(input), tf.shape(grad)]);
        return tf.reshape(ReduceSum(grad, args[0]), tf.shape(input));
    }

    /// <summary>
    /// The axes to sum when they follow from static shapes alone: leading axes the input lacks, and axes where the
    /// input has size 1 (summing a size-1 axis is harmless). An unknown input dim is decidable only when the other
    /// operand lacks that axis or has size 1 there, so the input's own size carries to the output. Null otherwise.
    /// </summary>
    private static int[]? StaticAxes(TensorShape x, TensorShape g, TensorShape? other)
    {
        if (x.IsUnknownRank || g.IsUnknownRank || x.Rank > g.Rank) return null;
        var axes = new List<int>();
        int offset = g.Rank - x.Rank;
        for (int i = 0; i < g.Rank; i++)
        {
            if (i < offset) { axes.Add(i); continue; }
            int d = x.Dims[i - offset];
            if (d == 1) { axes.Add(i); continue; }
            if (d > 1) continue;
            if (other is null || other.IsUnknownRank) return null;
            int k = i - (g.Rank - other.Rank);
            if (k >= 0 && other.Dims[k] != 1) return null;
        }
        return axes.ToArray();
    }

    /// <summary>Axes of <paramref name="to"/> that a broadcast from <paramref name="from"/> stretched or added.</summary>
    internal static int[] ReductionAxes(int[] from, int[] to)
    {
        Span<int> axes = stackalloc int[to.Length];
        return axes[..ReductionAxes(from, to, axes)].ToArray();
    }

    /// <summary>The same axes written into <paramref name="axes"/> (length of <paramref name="to"/>); returns how many.</summary>
    internal static int ReductionAxes(ReadOnlySpan<int> from, ReadOnlySpan<int> to, Span<int> axes)
    {
        int n = 0, offset = to.Length - from.Length;
        for (int i = 0; i < to.Length; i++)
            if (i < offset || (from[i - offset] == 1 && to[i] != 1)) axes[n++] = i;
        return n;
    }

    public static Tensor ReduceSum(Tensor x, Tensor axes, bool keepdims = false) =>
        tf.Op("Sum", [x, axes], new() { ["keep_dims"] = keepdims });

    /// <summary>
    /// The input's shape with the reduced axes set to 1: the shape a reduction's gradient is reshaped to before it
    /// is broadcast back. Static where the input's dims are known; from tf.shape where only the rank is; else the
    /// shape of the same reduction with keep_dims.
    /// </summary>
    public static Tensor KeptDimsShape(Operation reduction)
    {
        var x = reduction.inputs[0];
        var axesValue = ConstantFolding.TryEvaluate(reduction.inputs[1]);
        if (x.shape.IsUnknownRank || axesValue is null)
        {
            // Run-time form (TensorFlow's reduced_shape): shape(x) with each reduced axis set to 1, negative axes
            // normalized with floormod. An input of unknown rank (a tf.placeholder without a shape) takes this path.
            var shape = tf.shape(x);
            var dynamicRank = tf.size(shape);
            var axes = tf.reshape(tf.floormod(tf.cast(reduction.inputs[1], DataType.Int32), dynamicRank), new[] { 1, -1 });
            var isReduced = tf.reduce_any(tf.equal(tf.expand_dims(tf.range(0, dynamicRank, 1), 1), axes), new[] { 1 });
            return tf.where(isReduced, tf.ones_like(shape), shape);
        }
        int rank = x.shape.Rank;
        var reduced = new bool[rank];
        foreach (var a in axesValue.ToArray<long>()) reduced[ShapeUtil.NormalizeAxis((int)a, rank, m => new InvalidArgumentException(m))] = true;
        if (x.shape.Dims.Where((_, i) => !reduced[i]).All(d => d >= 0))
            return tf.IntVector(x.shape.Dims.Select((d, i) => reduced[i] ? 1 : d).ToArray(), "kept_dims");
        var mask = tf.constant_value(TensorValue.Create(reduced, rank), "reduced_axes");
        return tf.where(mask, tf.ones(rank, DataType.Int32), tf.shape(x));
    }

    /// <summary>
    /// Broadcasts a tensor shaped like a reduction's output back over the reduced axes (the gradient of Sum). A
    /// kept-dims or scalar output broadcasts as it is; otherwise it is first reshaped to the kept-dims shape.
    /// </summary>
    public static Tensor ExpandReduced(Operation reduction, Tensor grad)
    {
        var x = reduction.inputs[0];
        bool broadcastsAsIs = reduction.get_attr<bool>("keep_dims") || grad.shape.Rank == 0;
        var kept = broadcastsAsIs ? grad : tf.reshape(grad, KeptDimsShape(reduction));
        return tf.Op("BroadcastTo", [kept, x.shape.IsFullyDefined ? tf.IntVector(x.shape.Dims, "shape") : tf.shape(x)]);
    }

    /// <summary>The same reduction (axes, keep_dims) of another tensor, so its result has the reduction's output shape.</summary>
    public static Tensor ReduceLike(Operation reduction, string type, Tensor x) =>
        tf.Op(type, [x, reduction.inputs[1]], new() { ["keep_dims"] = reduction.get_attr<bool>("keep_dims") });

    /// <summary>The number of input elements that each output element of a reduction summarises, as a scalar of the input's dtype.</summary>
    public static Tensor ReducedCount(Operation reduction)
    {
        var x = reduction.inputs[0];
        var y = reduction.outputs[0];
        if (x.shape.IsFullyDefined && y.shape.IsFullyDefined)
        {
            var n = x.shape.NumElements() / Math.Max(1, y.shape.NumElements());
            return tf.constant(ValueConversion.Convert(TensorValue.Scalar((double)n), x.dtype, ConversionMode.Truncating, "count"));
        }
        var ratio = tf.truediv(tf.cast(tf.size(x), DataType.Float64), tf.cast(tf.maximum(tf.size(y), 1), DataType.Float64));
        return tf.cast(ratio, x.dtype);
    }
}
