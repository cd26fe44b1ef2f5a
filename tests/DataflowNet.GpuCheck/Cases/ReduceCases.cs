namespace DataflowNet.GpuCheck;

public static partial class KernelCases
{
    /// <summary>Values with many ties (multiples of 1/4 in [-2, 2]), for ArgMax/ArgMin and InTopKV2.</summary>
    private static Tensor Ties(int[] shape, int seed = 5) =>
        Constant(Data(shape.Aggregate(1, (a, b) => a * b), -2, 2, seed).Select(v => MathF.Round(v * 4) / 4).ToArray(), shape);

    private static int[] Labels(int n, int classes, int seed = 7)
    {
        var rng = new System.Random(seed * 7919 + n);
        return Enumerable.Range(0, n).Select(_ => rng.Next(classes)).ToArray();
    }

    private static Tensor Bools(int[] shape, double pTrue, int seed = 9)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var rng = new System.Random(seed * 7919 + n);
        return tf.constant(Enumerable.Range(0, n).Select(_ => rng.NextDouble() < pTrue).ToArray(), shape: new TensorShape(shape));
    }

    private static Operation OpOfType(Tensor y, string type) => y.graph.get_operations().Single(o => o.type == type);

    public static IEnumerable<KernelCase> Reduce =>
    [
        // Max, Min, Prod over every layout: trailing, leading, middle and scattered axes, keep_dims, negative axes.
        new("Max axis 1 keep_dims", () => tf.reduce_max(Random([37, 53]), 1, keepdims: true), 0),
        new("Max axes 0,2", () => tf.reduce_max(Random([5, 17, 9, 3]), new[] { 0, 2 }), 0),
        new("Min axis -1", () => tf.reduce_min(Random([23, 4, 31]), -1), 0),
        new("Min all axes keep_dims", () => tf.reduce_min(Random([7, 13, 5]), keepdims: true), 0),
        new("Prod axis 0", () => tf.reduce_prod(Random([19, 33], 0.8f, 1.25f)), 1e-5),
        new("Prod axes 1,3", () => tf.reduce_prod(Random([3, 11, 2, 7], 0.8f, 1.25f), new[] { 1, 3 }, keepdims: true), 1e-5),
        // Long reductions take the grouped kernel (a thread group per output, a tree in shared memory).
        new("Sum grouped axis 1", () => tf.reduce_sum(Random([3, 1537]), 1), 1e-4),
        new("Sum all grouped", () => tf.reduce_sum(Random([517, 33])), 1e-4),
        new("Mean grouped axes 0,2", () => tf.reduce_mean(Random([41, 5, 29]), new[] { 0, 2 }), 1e-5),
        new("Max grouped axis 0", () => tf.reduce_max(Random([1001, 7])), 0),
        new("Min grouped all", () => tf.reduce_min(Random([300, 17])), 0),
        new("Prod grouped axis 1", () => tf.reduce_prod(Random([2, 700], 0.99f, 1.01f), 1), 1e-4),
        // Empty reductions: TensorFlow's identities (-inf, +inf, 1, 0, NaN for a mean).
        new("Max empty", () => tf.reduce_max(Constant([], 3, 0), 1), 0),
        new("Min empty", () => tf.reduce_min(Constant([], 3, 0), 1), 0),
        new("Prod empty", () => tf.reduce_prod(Constant([], 0, 4), 0), 0),
        new("Mean empty", () => tf.reduce_mean(Constant([], 0, 4), 0), 0),
        // ArgMax/ArgMin: ties give the first index; int64 (the default) and int32 outputs; inner and last axes.
        new("ArgMax axis 0 int64", () => tf.argmax(Ties([17, 23]), 0), 0),
        new("ArgMax axis -1 int32", () => tf.argmax(Ties([5, 3, 29]), -1, output_type: DataType.Int32), 0),
        new("ArgMin axis 1 int64", () => tf.argmin(Ties([4, 19, 6]), 1), 0),
        new("ArgMin axis 2 int32", () => tf.argmin(Ties([3, 5, 18]), 2, output_type: DataType.Int32), 0),
        // All/Any on bools (bytes on the device).
        new("All axis 1", () => tf.reduce_all(Bools([33, 5], 0.9), new[] { 1 }), 0),
        new("All axes 0,2 keep_dims", () => tf.reduce_all(Bools([6, 7, 3], 0.95), new[] { 0, 2 }, keepdims: true), 0),
        new("Any axis 0", () => tf.reduce_any(Bools([5, 41], 0.1), new[] { 0 }), 0),
        new("Any all grouped", () => tf.reduce_any(Bools([600], 0.001, seed: 2)), 0),
        new("Any empty", () => tf.reduce_any(tf.constant(System.Array.Empty<bool>(), shape: new TensorShape(2, 0)), new[] { 1 }), 0),
        // L2Loss = Σx²/2 (one group over the flat input).
        new("L2Loss", () => tf.nn.l2_loss(Random([129, 37])), 1e-5),
        new("L2Loss small", () => tf.nn.l2_loss(Random([3, 5])), 1e-6),
        // Losses with int labels in device memory.
        new("SparseSoftmaxCrossEntropy int32", () => tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels: tf.constant(Labels(67, 13), shape: new TensorShape(67)), logits: Random([67, 13], -5, 5)), 1e-5),
        new("SparseSoftmaxCrossEntropy int64", () => tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels: tf.constant(Labels(33, 10).Select(v => (long)v).ToArray(), shape: new TensorShape(33)), logits: Random([33, 10], -20, 20)), 1e-5),
        new("SparseSoftmaxCrossEntropy backprop", () =>
        {
            var logits = Random([45, 7], -3, 3);
            var loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels: tf.constant(Labels(45, 7), shape: new TensorShape(45)), logits: logits);
            return tf.gradients(tf.reduce_sum(loss), logits)[0]!;
        }, 1e-5, y => OpOfType(y, "SparseSoftmaxCrossEntropyWithLogits")),
        new("InTopKV2 k=1", () => tf.nn.in_top_k(Ties([41, 9]), tf.constant(Labels(41, 9), shape: new TensorShape(41)), 1), 0),
        new("InTopKV2 k=3 ties", () => tf.nn.in_top_k(Ties([50, 6], seed: 6), tf.constant(Labels(50, 6, seed: 2), shape: new TensorShape(50)), 3), 0),
        new("InTopKV2 int64 out of range", () => tf.nn.in_top_k(Ties([6, 4]),
            tf.constant(new long[] { 0, 3, -1, 4, 2, 1 }, shape: new TensorShape(6)), 2), 0),
        // BatchMatMulV2: batches, broadcast batch dims, adj_x/adj_y, sizes off the 16-tile.
        new("BatchMatMul 3x17x33x19", () => tf.matmul(Random([3, 17, 33]), Random([3, 33, 19], seed: 2)), 1e-5),
        new("BatchMatMul broadcast batch", () => tf.matmul(Random([2, 1, 17, 33]), Random([4, 33, 19], seed: 2)), 1e-5),
        new("BatchMatMul adj_x adj_y", () => tf.matmul(Random([5, 33, 21]), Random([5, 18, 33], seed: 2), transpose_a: true, transpose_b: true), 1e-5),
        new("BatchMatMul adj_y matrix rhs", () => tf.matmul(Random([3, 2, 9, 40]), Random([23, 40], seed: 2), transpose_b: true), 1e-5),
    ];
}
