namespace DataflowNet.GpuCheck;

public static partial class KernelCases
{
    // Each transpose combination (cuBLAS's column-major call differs for each), odd sizes, and an empty inner dimension.
    public static IEnumerable<KernelCase> MatMul =>
    [
        new("MatMul 129x257x65", () => tf.matmul(Random([129, 257]), Random([257, 65], seed: 2)), 1e-4),
        new("MatMul transpose_a/b", () => tf.matmul(Random([257, 129]), Random([65, 257], seed: 2), transpose_a: true, transpose_b: true), 1e-4),
        new("MatMul transpose_a", () => tf.matmul(Random([33, 17]), Random([33, 9], seed: 2), transpose_a: true), 1e-4),
        new("MatMul transpose_b", () => tf.matmul(Random([17, 33]), Random([9, 33], seed: 2), transpose_b: true), 1e-4),
        new("MatMul empty inner dimension", () => tf.matmul(tf.zeros(new TensorShape(3, 0)), tf.zeros(new TensorShape(0, 4))) + Random([3, 4]), 0,
            y => y.op.inputs[0].op),
    ];
}
