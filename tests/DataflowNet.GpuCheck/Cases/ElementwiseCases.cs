namespace DataflowNet.GpuCheck;

public static partial class KernelCases
{
    public static IEnumerable<KernelCase> Elementwise =>
    [
        new("AddV2 broadcast", () => Random([64, 33]) + Random([33], seed: 2), 1e-6),
        new("Sub", () => Random([1000]) - Random([1000], seed: 2), 1e-6),
        new("Mul column broadcast", () => Random([64, 33]) * Random([64, 1], seed: 2), 1e-6),
        new("RealDiv", () => Random([1000]) / Random([1000], 1, 2, seed: 2), 1e-6),
        new("Maximum", () => tf.maximum(Random([1000]), Random([1000], seed: 2)), 0),
        new("Minimum", () => tf.minimum(Random([1000]), Random([1000], seed: 2)), 0),
        new("SquaredDifference", () => tf.squared_difference(Random([1000]), Random([1000], seed: 2)), 1e-6),
        new("BiasAdd NHWC", () => tf.nn.bias_add(Random([2, 5, 5, 7]), Random([7], seed: 2)), 1e-6),
        new("Neg", () => -Random([1000]), 0),
        new("Abs", () => tf.abs(Random([1000])), 0),
        new("Square", () => tf.square(Random([1000])), 1e-6),
        new("Sqrt", () => tf.sqrt(Random([1000], 0, 4)), 1e-6),
        new("Exp", () => tf.exp(Random([1000], -5, 5)), 1e-5),
        new("Log", () => tf.log(Random([1000], 0.1f, 4)), 1e-6),
        new("Tanh", () => tf.tanh(Random([1000], -5, 5)), 1e-6),
        new("Sigmoid", () => tf.sigmoid(Random([1000], -20, 20)), 1e-6),
        new("Relu", () => tf.nn.relu(Random([1000])), 0),
        new("Reciprocal", () => tf.reciprocal(Random([1000], 1, 2)), 1e-6),
        new("ReluGrad", () => Grad(x => tf.nn.relu(x)), 1e-6),
        new("SigmoidGrad", () => Grad(x => tf.sigmoid(x)), 1e-6),
        new("TanhGrad", () => Grad(x => tf.tanh(x)), 1e-6),
        // Chains of these ops run as one fused kernel on the GPU (GpuFusedKernels): full, row and scalar leaves.
        new("Fused relu(x*w+b)", () => tf.nn.relu(Random([64, 33]) * Random([64, 33], seed: 2) + Random([33], seed: 3)), 1e-6),
        new("Fused bias_add + relu NHWC", () => tf.nn.relu(tf.nn.bias_add(Random([2, 5, 5, 8]), Random([8], seed: 2))), 1e-6),
        new("Fused scalar chain", () => tf.sqrt(tf.abs(Random([1000]) * 3f - 1f)) / 2f, 1e-6),
    ];
}
