namespace DataflowNet.GpuCheck;

public static partial class KernelCases
{
    /// <summary>Values in ±[lo, hi): magnitudes from <see cref="Data"/>, every other one negated (divisors kept away from 0).</summary>
    private static Tensor Signed(int[] shape, float lo, float hi, int seed = 1)
    {
        var d = Data(shape.Aggregate(1, (a, b) => a * b), lo, hi, seed);
        for (int i = 0; i < d.Length; i += 2) d[i] = -d[i];
        return Constant(d, shape);
    }

    /// <summary>Values on a grid of halves, so comparisons meet equal pairs often.</summary>
    private static Tensor Halves(int[] shape, int seed = 1) =>
        Constant(Data(shape.Aggregate(1, (a, b) => a * b), -2, 2, seed).Select(v => MathF.Round(v * 2) / 2).ToArray(), shape);

    /// <summary>float32 values with exact zeros, NaN-free: every seventh element is 0.</summary>
    private static Tensor WithZeros(int n, float lo = -3, float hi = 3) =>
        Constant(Data(n, lo, hi).Select((v, i) => i % 7 == 0 ? 0f : v).ToArray(), n);

    public static IEnumerable<KernelCase> Math =>
    [
        // ----- unary -----
        new("Sign", () => tf.sign(WithZeros(1001)), 0),
        new("Rsqrt", () => tf.rsqrt(Random([999], 0.01f, 4)), 1e-6),
        new("Log1p", () => tf.log1p(Random([999], -0.99f, 3)), 1e-6),
        new("Log1p near 0", () => tf.log1p(Random([999], -1e-3f, 1e-3f)), 1e-6),
        new("Sin", () => tf.sin(Random([1001], -10, 10)), 1e-5),
        new("Cos", () => tf.cos(Random([1001], -10, 10)), 1e-5),
        new("Floor", () => tf.floor(Random([1001], -5, 5)), 0),
        new("Relu6", () => tf.nn.relu6(Random([1001], -3, 9)), 0),
        new("Elu", () => tf.nn.elu(Random([1001], -5, 3)), 1e-6),
        new("Elu near 0", () => tf.nn.elu(Random([1001], -1e-3f, 1e-3f)), 1e-6),
        new("Softplus", () => tf.nn.softplus(Random([1001], -30, 30)), 1e-6),
        new("LeakyRelu alpha 0.2", () => tf.nn.leaky_relu(Random([1001])), 0),
        new("LeakyRelu alpha 0.01", () => tf.nn.leaky_relu(Random([1001]), alpha: 0.01f), 0),

        // ----- binary, broadcasting -----
        new("FloorDiv broadcast", () => tf.floordiv(Signed([37, 33], 0, 10), Signed([33], 0.5f, 2, seed: 2)), 1e-6),
        new("FloorDiv same shape", () => tf.floordiv(Signed([1001], 0, 10), Signed([1001], 0.5f, 2, seed: 2)), 1e-6),
        new("FloorMod broadcast", () => tf.floormod(Signed([37, 33], 0, 10), Signed([37, 1], 0.5f, 2, seed: 2)), 1e-6),
        new("FloorMod scalar divisor", () => tf.floormod(Signed([1001], 0, 10), Constant([-1.5f])), 1e-6),
        new("Pow broadcast", () => tf.pow(Random([37, 33], 0.1f, 3), Random([33], -2, 2, seed: 2)), 1e-5),
        new("Pow negative base, integer exponents", () => tf.pow(Random([5, 1, 7], -3, 3), Constant([0f, 1f, 2f, 3f, -1f, -2f], 1, 6, 1)), 1e-5),
        // Where PTX's ex2/lg2.approx and reciprocal remainder go wrong (GpuMath computes these exactly): large exp
        // arguments, log next to 1, remainders of large quotients.
        new("Exp large arguments", () => tf.exp(Random([1000], -87, 88)), 1e-6),
        new("Log near 1", () => tf.log(Random([1000], 0.9999f, 1.0001f)), 1e-5),
        new("FloorMod large quotients", () => tf.floormod(Random([1000], 1e6f, 2e7f), Constant([3f, 7f, -7f, 0.1f], 4, 1)), 0),

        // ----- gradient ops -----
        new("SqrtGrad", () => Grad(x => tf.sqrt(x), 501, 0.5f, 3), 1e-6),
        new("RsqrtGrad", () => Grad(x => tf.rsqrt(x), 501, 0.5f, 3), 1e-6),
        new("ReciprocalGrad", () => Grad(x => tf.reciprocal(x), 501, 0.5f, 3), 1e-6),
        new("Relu6Grad", () => Grad(x => tf.nn.relu6(x), 501, -3, 9), 0),
        new("EluGrad", () => Grad(x => tf.nn.elu(x)), 1e-6),
        new("SoftplusGrad", () => Grad(x => tf.nn.softplus(x)), 1e-6),
        new("LeakyReluGrad alpha 0.3", () => Grad(x => tf.nn.leaky_relu(x, alpha: 0.3f)), 0),

        // ----- comparisons (bool outputs) and logic -----
        new("Less broadcast", () => tf.less(Halves([37, 33]), Halves([33], seed: 2)), 0),
        new("LessEqual broadcast", () => tf.less_equal(Halves([37, 33]), Halves([37, 1], seed: 2)), 0),
        new("Greater", () => tf.greater(Halves([1001]), Halves([1001], seed: 2)), 0),
        new("GreaterEqual scalar", () => tf.greater_equal(Halves([1001]), Constant([0.5f])), 0),
        new("Equal broadcast", () => tf.equal(Halves([5, 1, 33]), Halves([7, 1], seed: 2)), 0),
        new("NotEqual", () => tf.not_equal(Halves([1001]), Halves([1001], seed: 2)), 0),
        new("LogicalAnd broadcast", () => tf.logical_and(tf.less(Halves([37, 33]), 0f), tf.greater(Halves([33], seed: 2), 0f)), 0),
        new("LogicalOr", () => tf.logical_or(tf.less(Halves([1001]), 0f), tf.greater(Halves([1001], seed: 2), 0.5f)), 0),
        new("LogicalNot", () => tf.logical_not(tf.less(Halves([1001]), 0f)), 0),

        // ----- SelectV2 -----
        new("SelectV2 broadcast all three", () => tf.where(tf.less(Random([37, 1]), 0f), Random([37, 33], seed: 2), Random([33], seed: 3)), 0),
        new("SelectV2 same shape", () => tf.where(tf.less(Random([1001]), 0f), Random([1001], seed: 2), Random([1001], seed: 3)), 0),

        // ----- Cast -----
        new("Cast float32 to int32", () => tf.cast(Random([1001], -1000, 1000), tf.int32), 0),
        new("Cast float32 to int64", () => tf.cast(Random([1001], -1e6f, 1e6f), tf.int64), 0),
        new("Cast float32 to bool", () => tf.cast(WithZeros(1001), tf.@bool), 0),
        new("Cast float32 to float64", () => tf.cast(Random([1001]), tf.float64), 0),
        // The catalog compares numbers, not bytes: the uint8 result is read back through a cast to int32 (on the CPU).
        new("Cast float32 to uint8", () => tf.cast(tf.cast(Random([1001], -10, 300), tf.uint8), tf.int32), 0, y => y.op.inputs[0].op),
        new("Cast int32 to float32", () => tf.cast(tf.cast(Random([1001], -1e4f, 1e4f), tf.int32), tf.float32), 0),
        new("Cast int64 to int32", () => tf.cast(tf.constant(Enumerable.Range(0, 1001).Select(i => (i - 500) * 9_000_001L).ToArray()), tf.int32), 0),
        new("Cast int64 to float32", () => tf.cast(tf.constant(Enumerable.Range(0, 1001).Select(i => (i - 500) * 123_456_789_011L).ToArray()), tf.float32), 0),
        new("Cast int32 to bool", () => tf.cast(tf.constant(Enumerable.Range(0, 1001).Select(i => i % 3 - 1).ToArray()), tf.@bool), 0),
        new("Cast bool to float32", () => tf.cast(tf.less(Random([1001]), 0f), tf.float32), 0),
        new("Cast bool to int64", () => tf.cast(tf.less(Random([1001]), 0f), tf.int64), 0),

        // ----- AddN, CheckNumerics -----
        new("AddN 2", () => tf.add_n([Random([37, 33]), Random([37, 33], seed: 2)]), 1e-6),
        new("AddN 3", () => tf.add_n([Random([1001]), Random([1001], seed: 2), Random([1001], seed: 3)]), 1e-6),
        new("AddN 11", () => tf.add_n(Enumerable.Range(1, 11).Select(s => (TensorLike)Random([999], seed: s))), 1e-5),
        new("CheckNumerics finite", () => tf.debugging.check_numerics(Random([1001]), "finite"), 0),
    ];
}
