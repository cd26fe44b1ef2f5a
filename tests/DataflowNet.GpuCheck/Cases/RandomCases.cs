namespace DataflowNet.GpuCheck;

public static partial class KernelCases
{
    /// <summary>
    /// Seeded random ops give the CPU's numbers on the GPU: uniform bit for bit, the normals within a few ulps, nearly
    /// all bit for bit (the device evaluates Box–Muller's log/sin/cos in double and rounds them correctly; the C
    /// library's float functions are within an ulp of that). Each case runs in a fresh session on each device, so
    /// both draw from the start of the op's stream.
    /// </summary>
    public static IEnumerable<KernelCase> RandomOps =>
    [
        new("RandomUniform 37x19", () => tf.random_uniform(new TensorShape(37, 19), seed: 5), 0, y => OpOfType(y, "RandomUniform")),
        new("RandomUniform 4n+3", () => tf.random_uniform(new TensorShape(1027), minval: -2, maxval: 3, seed: 6), 0, y => OpOfType(y, "RandomUniform")),
        new("RandomUniform empty", () => tf.random_uniform(new TensorShape(0, 3), seed: 6), 0, y => OpOfType(y, "RandomUniform")),
        new("RandomStandardNormal odd", () => tf.random_normal(new TensorShape(1001), seed: 7), 1e-6, y => OpOfType(y, "RandomStandardNormal")),
        new("RandomStandardNormal 4n+2", () => tf.random_normal(new TensorShape(3, 46), seed: 8), 1e-6, y => OpOfType(y, "RandomStandardNormal")),
        new("TruncatedNormal odd", () => tf.truncated_normal(new TensorShape(7, 143), seed: 9), 1e-6, y => OpOfType(y, "TruncatedNormal")),
        new("TruncatedNormal one", () => tf.truncated_normal(new TensorShape(1), seed: 10), 1e-6, y => OpOfType(y, "TruncatedNormal")),
        // Large enough for several redraw rounds and many count/write chunks.
        new("TruncatedNormal 100003", () => tf.truncated_normal(new TensorShape(100003), seed: 11), 1e-6, y => OpOfType(y, "TruncatedNormal")),
    ];
}
