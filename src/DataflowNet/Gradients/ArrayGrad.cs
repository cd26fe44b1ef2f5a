namespace DataflowNet;

/// <summary>Gradients of the ops that move elements: each puts the output gradient back where its elements came from.</summary>
internal static class ArrayGrad
{
    private static Tensor X(Operation op) => op.inputs[0];

    /// <summary>The input's shape: a constant when known, else tf.shape at run time.</summary>
    private static Tensor ShapeOf(Tensor x) => x.shape.IsFullyDefined ? tf.IntVector(x.shape.Dims, "shape") : tf.shape(x);

    public static GradientFunction Of(string type) => type switch
    {
        "Identity" or "PlaceholderWithDefault" => (_, g) => [g[0]],
        "StopGradient" => Gradients.None,
        "Reshape" => (op, g) => [tf.reshape(g[0], ShapeOf(X(op))), null],
        "ExpandDims" => (op, g) => [tf.reshape(g[0], ShapeOf(X(op))), null],
        "Squeeze" => (op, g) => [tf.reshape(g[0], ShapeOf(X(op)))],
        "Transpose" => (op, g) => [tf.Op("Transpose", [g[0], tf.Op("InvertPermutation", [op.inputs[1]])]), null],
        "ConcatV2" => Concat,
        "Pack" => (op, g) => tf.unstack(g[0], op.inputs.Length, op.get_attr<int>("axis")),
        "Unpack" => (op, g) => [tf.stack(g.Select(t => (TensorLike)t), op.get_attr<int>("axis"))],
        "Split" => (op, g) => [null, tf.Op("ConcatV2", [.. g, op.inputs[0]], new() { ["N"] = g.Length })],
        "SplitV" => (op, g) => [tf.Op("ConcatV2", [.. g, op.inputs[2]], new() { ["N"] = g.Length }), null, null],
        "Slice" => Slice,
        "StridedSlice" => (op, g) =>
        [
            tf.Op("StridedSliceGrad", [ShapeOf(X(op)), op.inputs[1], op.inputs[2], op.inputs[3], g[0]],
                new() { ["begin_mask"] = op.get_attr<int>("begin_mask"), ["end_mask"] = op.get_attr<int>("end_mask"),
                        ["ellipsis_mask"] = op.get_attr<int>("ellipsis_mask"), ["new_axis_mask"] = op.get_attr<int>("new_axis_mask"),
                        ["shrink_axis_mask"] = op.get_attr<int>("shrink_axis_mask") }),
            null, null, null,
        ],
        "GatherV2" => Gather,
        "Tile" => Tile,
        "Pad" or "PadV2" => (op, g) =>
        {
            var begin = tf.reshape(tf.slice(op.inputs[1], [0, 0], [-1, 1]), new[] { -1 });
            var grad = tf.Op("Slice", [g[0], begin, ShapeOf(X(op))]);
            return op.inputs.Length == 3 ? [grad, null, null] : [grad, null];
        },
        "Fill" => (op, g) => [null, tf.reduce_sum(g[0])],
        "BroadcastTo" => BroadcastTo,
        _ => Gradients.None,
    };

    public static Tensor?[] BroadcastTo(Operation op, Tensor[] g) => [GradUtil.SumToShape(g[0], X(op)), null];

    /// <summary>StridedSliceGrad is linear in dy: its gradient takes the same slice of the incoming gradient.</summary>
    public static Tensor?[] StridedSliceGrad(Operation op, Tensor[] g) =>
    [
        null, null, null, null,
        tf.Op("StridedSlice", [g[0], op.inputs[1], op.inputs[2], op.inputs[3]],
            new() { ["begin_mask"] = op.get_attr<int>("begin_mask"), ["end_mask"] = op.get_attr<int>("end_mask"),
                    ["ellipsis_mask"] = op.get_attr<int>("ellipsis_mask"), ["new_axis_mask"] = op.get_attr<int>("new_axis_mask"),
                    ["shrink_axis_mask"] = op.get_attr<int>("shrink_axis_mask") }),
    ];

    private static Tensor?[] Concat(Operation op, Tensor[] g)
    {
        int n = op.inputs.Length - 1;
        var values = op.inputs.Take(n).ToArray();
        var axis = op.inputs[n];
        var offsets = tf.OpN("ConcatOffset", [axis, .. values.Select(ShapeOf)]);
        var grads = new Tensor?[n + 1];
        for (int i = 0; i < n; i++) grads[i] = tf.Op("Slice", [g[0], offsets[i], ShapeOf(values[i])]);
        return grads;
    }

    private static Tensor?[] Slice(Operation op, Tensor[] g)
    {
        // Pad the gradient back to the input's shape: 'begin' before, the rest after.
        var x = X(op);
        var begin = op.inputs[1];
        var after = tf.subtract(tf.subtract(tf.cast(ShapeOf(x), begin.dtype), tf.cast(ShapeOf(op.outputs[0]), begin.dtype)), begin);
        var paddings = tf.stack([begin, after], axis: 1);
        return [tf.Op("Pad", [g[0], paddings]), null, null];
    }

    /// <summary>Scatter-adds the rows of the gradient back to the gathered rows (UnsortedSegmentSum), with the axis moved to the front and back.</summary>
    private static Tensor?[] Gather(Operation op, Tensor[] g)
    {
        var p = X(op);
        var indices = op.inputs[1];
        var axisValue = ConstantFolding.TryEvaluate(op.inputs[2]);
        if (axisValue is null)
            throw new UnimplementedException($"The gradient of {op.Describe()} needs a constant axis.");
        if (op.get_attr<int>("batch_dims") is not 0 and var batchDims) return BatchGather(op, g, (int)axisValue.item<long>(), batchDims);
        if (axisValue.item<long>() == 0)
        {
            // Rows (embedding lookups): shapes read at run time, so neither rank need be known.
            var shapeOfP = ShapeOf(p);
            var rowsOf = tf.reshape(g[0], tf.concat(new TensorLike[] { tf.IntVector([-1], "minus_one"), tf.strided_slice(shapeOfP, [1], [0], [1], end_mask: 1) }, 0));
            var flat = tf.reshape(indices, new[] { -1 });
            var rowCount = tf.strided_slice(shapeOfP, [0], [1], [1], shrink_axis_mask: 1);
            var dense = tf.Op("UnsortedSegmentSum", [rowsOf, flat, rowCount]);
            RowSparse.Record(dense, flat, rowCount);
            return [dense, null, null];
        }
        if (p.shape.IsUnknownRank || indices.shape.IsUnknownRank)
            throw new UnimplementedException($"The gradient of {op.Describe()} along axis {axisValue.item<long>()} needs known ranks.");
        int rank = p.shape.Rank;
        int axis = ShapeUtil.NormalizeAxis((int)axisValue.item<long>(), rank, m => new InvalidArgumentException(m));
        int idxRank = indices.shape.Rank;
        var flatIndices = tf.reshape(indices, new[] { -1 });
        var grad = g[0];
        // grad has shape p[:axis] + indices.shape + p[axis+1:]; bring the index dims to the front.
        if (axis > 0)
        {
            var perm = Enumerable.Range(axis, idxRank).Concat(Enumerable.Range(0, axis)).Concat(Enumerable.Range(axis + idxRank, rank - axis - 1)).ToArray();
            grad = tf.transpose(grad, perm);
        }
        var pShape = ShapeOf(p);
        var rowShape = tf.concat(new TensorLike[] { tf.IntVector([-1], "minus_one"), Rest(pShape, axis, rank) }, 0);
        var rows = tf.reshape(grad, rowShape);
        var scattered = tf.Op("UnsortedSegmentSum", [rows, flatIndices, tf.Op("StridedSlice", [pShape, tf.IntVector([axis], "b"), tf.IntVector([axis + 1], "e"), tf.IntVector([1], "s")],
            new() { ["begin_mask"] = 0, ["end_mask"] = 0, ["ellipsis_mask"] = 0, ["new_axis_mask"] = 0, ["shrink_axis_mask"] = 1 })]);
        if (axis > 0)
        {
            var back = Enumerable.Range(1, axis).Append(0).Concat(Enumerable.Range(axis + 1, rank - axis - 1)).ToArray();
            scattered = tf.transpose(scattered, back);
        }
        return [scattered, null, null];
    }

    /// <summary>
    /// The gradient of a batched gather (params [B…, M…, N, inner…], indices [B…, I…], output [B…, M…, I…, inner…]):
    /// the output gradient's rows go back to row index + batch·N of params seen as [B·N, M…, inner…], summed where
    /// indices repeat (UnsortedSegmentSum), then the axis goes back between M… and inner…. Ranks must be known.
    /// </summary>
    private static Tensor?[] BatchGather(Operation op, Tensor[] g, int axisValue, int batchDims)
    {
        var p = X(op);
        var indices = op.inputs[1];
        if (p.shape.IsUnknownRank || indices.shape.IsUnknownRank)
            throw new UnimplementedException($"The gradient of {op.Describe()} with batch_dims = {batchDims} needs known ranks.");
        int rank = p.shape.Rank, idxRank = indices.shape.Rank;
        int axis = ShapeUtil.NormalizeAxis(axisValue, rank, m => new InvalidArgumentException(m));
        int b = batchDims < 0 ? batchDims + idxRank : batchDims;
        int perBatch = idxRank - b, middle = axis - b;
        int[] Range(int start, int count) => Enumerable.Range(start, count).ToArray();
        var pShape = ShapeOf(p);
        Tensor Dims(int[] which, string name) => tf.gather(pShape, tf.IntVector(which, name));
        // [B…, M…, I…, inner…] → [B…, I…, M…, inner…] → rows [B·I, M…, inner…].
        var grad = tf.transpose(g[0], [.. Range(0, b), .. Range(axis, perBatch), .. Range(b, middle), .. Range(axis + perBatch, rank - axis - 1)]);
        var rest = Dims([.. Range(b, middle), .. Range(axis + 1, rank - axis - 1)], "rest");
        var rows = tf.reshape(grad, tf.concat(new TensorLike[] { tf.IntVector([-1], "minus_one"), rest }, 0));
        // Each index offset by its batch's first row: batch · N.
        var n = tf.strided_slice(pShape, [axis], [axis + 1], [1], shrink_axis_mask: 1);
        var batchShape = Dims(Range(0, b), "batch");
        var batches = tf.reduce_prod(batchShape);
        var offsets = tf.reshape(tf.range(0, batches) * n, tf.concat(new TensorLike[] { batchShape, tf.IntVector([.. Enumerable.Repeat(1, perBatch)], "ones") }, 0));
        var segments = tf.reshape(indices + tf.cast(offsets, indices.dtype), new[] { -1 });
        var summed = tf.Op("UnsortedSegmentSum", [rows, segments, batches * n]);
        // [B·N, M…, inner…] → [B…, N, M…, inner…] → params' [B…, M…, N, inner…].
        var unflat = tf.reshape(summed, tf.concat(new TensorLike[] { batchShape, tf.reshape(n, new[] { 1 }), rest }, 0));
        return [tf.transpose(unflat, [.. Range(0, b), .. Range(b + 1, middle), b, .. Range(axis + 1, rank - axis - 1)]), null, null];
    }

    /// <summary>The dims of p other than <paramref name="axis"/>: p[:axis] then p[axis+1:].</summary>
    private static Tensor Rest(Tensor pShape, int axis, int rank)
    {
        var dims = Enumerable.Range(0, rank).Where(i => i != axis).ToArray();
        return tf.gather(pShape, tf.IntVector(dims, "rest"));
    }

    /// <summary>The gradient of x tiled by m: view it as [m0, d0, m1, d1, …] and sum over the m axes.</summary>
    private static Tensor?[] Tile(Operation op, Tensor[] g)
    {
        var x = X(op);
        var split = tf.reshape(tf.transpose(tf.stack([tf.cast(op.inputs[1], DataType.Int32), ShapeOf(x)])), new[] { -1 });
        // The m axes are the even ones: 0, 2, … 2·rank − 2, counted at run time when the rank is not known.
        Tensor axes = x.shape.IsUnknownRank ? tf.range(0, tf.size(split), 2)
            : tf.IntVector(Enumerable.Range(0, x.shape.Rank).Select(i => 2 * i).ToArray(), "axes");
        return [tf.Op("Sum", [tf.reshape(g[0], split), axes], new() { ["keep_dims"] = false }), null];
    }
}
