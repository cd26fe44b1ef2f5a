namespace DataflowNet;

/// <summary>
/// tf.pad's REFLECT and SYMMETRIC modes, composed from primitives rather than a kernel of their own: one axis at a
/// time, the mirrored edges are strided slices with stride −1 and the result is their concatenation with the input.
/// Every piece has CPU and GPU kernels and a gradient, so mirror padding has all three (its gradient adds each
/// mirrored element's gradient back onto the element it copies, as TensorFlow's MirrorPadGrad).
/// </summary>
internal static class MirrorPad
{
    public static Tensor Build(Tensor x, int[,] paddings, bool reflect, string? name)
    {
        string mode = reflect ? "REFLECT" : "SYMMETRIC";
        if (x.shape.IsUnknownRank) throw new InvalidArgumentException($"tf.pad mode {mode} needs the rank of {x.name} known.");
        int rank = x.shape.Rank;
        if (paddings.GetLength(0) != rank || paddings.GetLength(1) != 2)
            throw new InvalidArgumentException($"paddings must have shape [{rank}, 2] for {x.name} of shape {x.shape}, got [{paddings.GetLength(0)}, {paddings.GetLength(1)}].");
        using var scope = x.graph.name_scope(name ?? "MirrorPad");
        var y = x;
        for (int d = 0; d < rank; d++)
        {
            int before = paddings[d, 0], after = paddings[d, 1];
            if (before < 0 || after < 0) throw new InvalidArgumentException($"paddings must be non-negative, got [{before}, {after}] for dimension {d}.");
            if (before == 0 && after == 0) continue;
            int n = x.shape.Dims[d];
            if (n < 0)
                throw new UnimplementedException($"tf.pad mode {mode} pads dimension {d} of {x.name} (shape {x.shape}), which must be known when the graph is built.");
            // REFLECT leaves out the edge element, so it can mirror at most n − 1; SYMMETRIC repeats it, at most n.
            int most = reflect ? n - 1 : n;
            if (before > most || after > most)
                throw new InvalidArgumentException(
                    $"paddings must be no greater than the dimension size{(reflect ? " minus 1" : "")} in {mode} mode: dimension {d} of {x.name} has size {n}, paddings [{before}, {after}].");
            var parts = new List<TensorLike>(3);
            if (before > 0) parts.Add(Mirrored(y, d, rank, first: reflect ? before : before - 1, count: before));
            parts.Add(y);
            if (after > 0) parts.Add(Mirrored(y, d, rank, first: reflect ? n - 2 : n - 1, count: after));
            y = tf.concat(parts, d);
        }
        return ReferenceEquals(y, x) ? tf.identity(x) : y;
    }

    /// <summary>Elements first, first − 1, …, first − count + 1 of axis <paramref name="axis"/>, all of every other axis.</summary>
    private static Tensor Mirrored(Tensor y, int axis, int rank, int first, int count)
    {
        var begin = new int[rank];
        var end = new int[rank];
        var strides = Enumerable.Repeat(1, rank).ToArray();
        (begin[axis], end[axis], strides[axis]) = (first, first - count, -1);
        int all = ((1 << rank) - 1) & ~(1 << axis);
        // An end of −1 would count from the back: slicing down to element 0 inclusive leaves the end open instead.
        int endMask = first - count < 0 ? all | 1 << axis : all;
        return tf.strided_slice(y, begin, end, strides, begin_mask: all, end_mask: endMask);
    }
}
