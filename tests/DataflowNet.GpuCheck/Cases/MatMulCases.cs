namespace DataflowNet.GpuCheck;

public static partial class KernelCases
{
    public static IEnumerable<KernelCase> MatMul =>
    [
        new("MatMul 129x257x65", () => tf.matmul(Random([129, 257]), Random([257, 65], seed: 2)), 1e-4),
        new("MatMul transpose_a/b", () => tf.matmul(Random([257, 129]), Random([65, 257], seed: 2), transpose_a: true, transpose_b: true), 1e-4),
    ];
}
