namespace DataflowNet.GpuCheck;

public static partial class KernelCases
{
    public static IEnumerable<KernelCase> Reductions =>
    [
        new("Sum axis 0", () => tf.reduce_sum(Random([300, 40]), 0), 1e-4),
        new("Mean axes 1,2", () => tf.reduce_mean(Random([4, 30, 20, 3]), new[] { 1, 2 }), 1e-5),
    ];
}
