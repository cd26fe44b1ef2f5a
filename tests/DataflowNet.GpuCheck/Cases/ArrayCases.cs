namespace DataflowNet.GpuCheck;

public static partial class KernelCases
{
    /// <summary>The ops that move elements (GpuArrayKernels): odd sizes, every axis and mask variant, int32 and int64 indices.</summary>
    public static IEnumerable<KernelCase> Array =>
    [
        new("StopGradient", () => tf.stop_gradient(Random([37, 5])), 0),
        new("Fill", () => tf.fill(new TensorShape(13, 17), 3.5f), 0),
        new("Fill rank 3", () => tf.fill(new TensorShape(3, 1, 29), -1.25f), 0),

        new("Transpose 2D", () => tf.transpose(Random([37, 53])), 0),
        new("Transpose NHWC to NCHW", () => tf.transpose(Random([2, 7, 9, 5]), [0, 3, 1, 2]), 0),
        new("Transpose rank 6", () => tf.transpose(Random([2, 3, 1, 5, 4, 3]), [5, 3, 0, 4, 2, 1]), 0),
        new("Transpose rank 7 merged", () => tf.transpose(Random([2, 3, 4, 5, 2, 3, 2]), [1, 2, 0, 3, 4, 5, 6]), 0),

        new("ConcatV2 axis 0", () => tf.concat(new TensorLike[] { Random([3, 17]), Random([5, 17], seed: 2), Random([1, 17], seed: 3) }, 0), 0),
        new("ConcatV2 axis 1", () => tf.concat(new TensorLike[] { Random([4, 3, 7]), Random([4, 11, 7], seed: 2), Random([4, 1, 7], seed: 3) }, 1), 0),
        new("ConcatV2 axis -1", () => tf.concat(new TensorLike[] { Random([6, 5]), Random([6, 13], seed: 2) }, -1), 0),
        new("ConcatV2 empty part", () => tf.concat(new TensorLike[] { Random([3, 0]), Random([3, 9], seed: 2) }, 1), 0),

        new("Pack axis 0", () => tf.stack(new TensorLike[] { Random([5, 7]), Random([5, 7], seed: 2), Random([5, 7], seed: 3) }), 0),
        new("Pack axis 1", () => tf.stack(new TensorLike[] { Random([5, 7]), Random([5, 7], seed: 2) }, 1), 0),
        new("Pack axis -1", () => tf.stack(new TensorLike[] { Random([5, 7]), Random([5, 7], seed: 2), Random([5, 7], seed: 3) }, -1), 0),
        new("Unpack axis 0", () => tf.unstack(Random([4, 9, 3]))[2], 0),
        new("Unpack axis 1", () => tf.unstack(Random([4, 9, 3]), axis: 1)[7], 0),
        new("Unpack axis -1", () => tf.unstack(Random([4, 9, 3]), axis: -1)[1], 0),

        new("Split axis 1", () => tf.split(Random([5, 21, 3]), 3, axis: 1)[1], 0),
        new("Split axis 0", () => tf.split(Random([12, 5]), 4)[3], 0),
        new("SplitV with -1", () => tf.split(Random([5, 23]), [4, -1, 6], axis: 1)[1], 0),
        new("SplitV axis -1 last part", () => tf.split(Random([3, 4, 17]), [10, 7], axis: -1)[1], 0),

        new("Slice", () => tf.slice(Random([9, 13, 5]), [2, 3, 1], [5, -1, 3]), 0),
        new("Slice 1D", () => tf.slice(Random([1000]), [17], [333]), 0),

        new("StridedSlice steps", () => tf.strided_slice(Random([17, 19]), [1, 2], [16, 19], [3, 2]), 0),
        new("StridedSlice negative steps", () => tf.strided_slice(Random([17, 19]), [-1, 15], [0, 2], [-2, -3]), 0),
        new("StridedSlice reverse with masks", () => tf.strided_slice(Random([9, 11]), [0, 0], [0, 0], [-1, 1], begin_mask: 3, end_mask: 3), 0),
        new("StridedSlice shrink", () => tf.strided_slice(Random([6, 7, 8]), [2, 0, 3], [3, 7, 8], [1, 1, 2], end_mask: 2, shrink_axis_mask: 1), 0),
        new("StridedSlice ellipsis new axis", () => tf.strided_slice(Random([4, 5, 6, 7]), [0, 0, 1], [0, 0, 6], [1, 1, 2], ellipsis_mask: 1, new_axis_mask: 2), 0),
        new("StridedSlice shrink last", () => tf.strided_slice(Random([5, 9]), [0, -2], [0, -1], [1, 1], begin_mask: 1, end_mask: 1, shrink_axis_mask: 2), 0),
        new("StridedSliceGrad 1D steps", () => Grad(x => tf.strided_slice(x, [3], [497], [7]) * 2f), 0, Placed("StridedSliceGrad")),
        new("StridedSliceGrad 2D negative steps", () => GradOf(Random([13, 17]), x => tf.strided_slice(x, [-2, 15], [0, 1], [-3, -2])), 0, Placed("StridedSliceGrad")),
        new("StridedSliceGrad shrink and new axis", () => GradOf(Random([6, 9, 4]), x => tf.strided_slice(x, [1, 0, 0], [2, 0, 3], [1, 1, 1], end_mask: 2, new_axis_mask: 4, shrink_axis_mask: 1)), 0, Placed("StridedSliceGrad")),

        new("Tile 2D", () => tf.tile(Random([5, 7]), [3, 2]), 0),
        new("Tile rank 4 every axis", () => tf.tile(Random([2, 3, 5, 3]), [2, 3, 2, 2]), 0),
        new("Tile inner untiled", () => tf.tile(Random([3, 4, 5]), [1, 3, 1]), 0),
        new("BroadcastTo", () => tf.broadcast_to(Random([7, 1, 5]), new TensorShape(3, 7, 4, 5)), 0),
        new("BroadcastTo rank up", () => tf.broadcast_to(Random([17]), new TensorShape(9, 17)), 0),

        new("Pad", () => tf.pad(Random([5, 7]), new[,] { { 1, 2 }, { 3, 0 } }), 0),
        new("Pad rank 3", () => tf.pad(Random([3, 4, 5]), new[,] { { 0, 1 }, { 2, 2 }, { 1, 3 } }), 0),
        new("PadV2 constant", () => tf.pad(Random([6, 9]), new[,] { { 2, 1 }, { 0, 4 } }, constant_values: 2.5f), 0),

        new("GatherV2 axis 0", () => tf.gather(Random([50, 13]), tf.constant(new[] { 3, 0, 49, 7, 7, 21, 13 })), 0),
        new("GatherV2 axis 1 matrix indices", () => tf.gather(Random([4, 30, 5]), tf.constant(new[,] { { 1, 29, 3 }, { 0, 0, 17 } }), axis: 1), 0),
        new("GatherV2 int64 indices", () => tf.gather(Random([40, 9]), tf.constant(new long[] { 39, 2, 0, 11, 2 })), 0),
        new("GatherV2 axis -1", () => tf.gather(Random([6, 11]), tf.constant(new[] { 10, 0, 5 }), axis: -1), 0),
        new("GatherV2 batch_dims 1, dims between and after", () => tf.gather(Random([3, 4, 7, 5]),
            tf.constant(new[,] { { 6, 0, 6 }, { 1, 2, 3 }, { 0, 0, 0 } }), axis: 2, batch_dims: 1), 0),
        new("GatherV2 batch_dims 2 int64", () => tf.gather(Random([2, 3, 9]), tf.constant(new long[,,] { { { 8, 1 }, { 0, 0 }, { 4, 7 } }, { { 2, 2 }, { 8, 8 }, { 5, 1 } } }), batch_dims: 2), 0),

        new("OneHot", () => tf.one_hot(tf.constant(Enumerable.Range(0, 37).Select(i => i * 7 % 10).ToArray()), 10), 0),
        new("OneHot axis 0 out of range", () => tf.one_hot(tf.constant(new[,] { { 1, -1, 4 }, { 5, 0, 2 } }), 5, on_value: 3f, off_value: -1f, axis: 0), 0),
        new("OneHot int64 axis 1", () => tf.one_hot(tf.constant(new long[,] { { 1, 3 }, { 0, 2 }, { 3, 3 } }), 4, axis: 1), 0),

        new("UnsortedSegmentSum gather grad", () => GradOf(Random([20, 7]), x => tf.gather(x, tf.constant(new[] { 3, 0, 19, 3, 3, 8, 0 }))), 1e-6, Placed("UnsortedSegmentSum")),
        new("UnsortedSegmentSum int64 ids", () => GradOf(Random([15, 3, 5]), x => tf.gather(x, tf.constant(new long[,] { { 1, 14 }, { 1, 2 }, { 14, 1 } }))), 1e-6, Placed("UnsortedSegmentSum")),
    ];

    /// <summary>The gradient of sum(f(x) · w) for a random w, with respect to <paramref name="x"/>.</summary>
    private static Tensor GradOf(Tensor x, Func<Tensor, Tensor> f)
    {
        var y = f(x);
        var w = Random(y.shape.Dims, seed: 5);
        return tf.gradients(tf.reduce_sum(y * w), x)[0]!;
    }

    /// <summary>The (last made) op of <paramref name="type"/> in the result's graph: the gradient op a case checks.</summary>
    private static Func<Tensor, Operation> Placed(string type) => y => y.graph.get_operations().Last(o => o.type == type);
}
